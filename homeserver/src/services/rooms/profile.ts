/** Member event content with the user's profile, which the profile domain provides through a callback. */
import type { JsonObject } from '@parley/federation';
import type { RoomsContext } from './context.js';

/**
 * `base` plus `displayname` and `avatar_url` from the user's global profile (when set).
 * https://spec.matrix.org/v1.19/client-server-api/#mroommember
 */
export async function memberContent(ctx: RoomsContext, userId: string, base: JsonObject): Promise<JsonObject> {
  const profile = ctx.callbacks.getProfile ? await ctx.callbacks.getProfile(userId) : {};
  const content: JsonObject = { ...base };
  if (typeof profile.displayname === 'string') content.displayname = profile.displayname;
  if (typeof profile.avatar_url === 'string') content.avatar_url = profile.avatar_url;
  return content;
}
