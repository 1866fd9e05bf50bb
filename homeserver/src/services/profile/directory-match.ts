/**
 * User directory matching and ranking (pure): case-insensitive word-prefix matching on user IDs and displaynames.
 * https://spec.matrix.org/v1.19/client-server-api/#user-directory
 */
import type { DirectoryUser } from './types.js';

/** A user the directory may return, with what we know of their profile. */
export interface DirectoryCandidate {
  userId: string;
  displayname: string | null;
  avatarUrl: string | null;
}

/** Lower-case words of a text: runs of letters and digits. */
export function words(text: string): string[] {
  return text
    .toLocaleLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/**
 * How well `candidate` matches `term`, lower is better, or null for no match. Every word of the term must be
 * the prefix of a word of the displayname or user ID, or the whole term a prefix of either.
 */
export function matchRank(term: string, candidate: DirectoryCandidate): number | null {
  const needle = term.trim().toLocaleLowerCase();
  if (needle === '') return null;
  const name = (candidate.displayname ?? '').toLocaleLowerCase();
  const userId = candidate.userId.toLocaleLowerCase();
  if (name !== '' && name.startsWith(needle)) return 0;
  if (userId.startsWith(needle) || userId.slice(1).startsWith(needle)) return 1;
  const termWords = words(needle);
  if (termWords.length === 0) return null;
  const nameWords = words(name);
  const idWords = words(userId);
  if (termWords.every((word) => nameWords.some((w) => w.startsWith(word)))) return 2;
  if (termWords.every((word) => nameWords.some((w) => w.startsWith(word)) || idWords.some((w) => w.startsWith(word)))) return 3;
  return null;
}

/**
 * The best `limit` matches: by rank, then those with profile information first, then by user ID.
 * `limited` is true when more matched than were returned.
 */
export function rankCandidates(
  term: string,
  candidates: Iterable<DirectoryCandidate>,
  limit: number,
): { results: DirectoryUser[]; limited: boolean } {
  const matches: { rank: number; candidate: DirectoryCandidate }[] = [];
  for (const candidate of candidates) {
    const rank = matchRank(term, candidate);
    if (rank !== null) matches.push({ rank, candidate });
  }
  matches.sort(
    (a, b) =>
      a.rank - b.rank ||
      profileInfoCount(b.candidate) - profileInfoCount(a.candidate) ||
      (a.candidate.userId < b.candidate.userId ? -1 : a.candidate.userId > b.candidate.userId ? 1 : 0),
  );
  return { results: matches.slice(0, limit).map((match) => toDirectoryUser(match.candidate)), limited: matches.length > limit };
}

function profileInfoCount(candidate: DirectoryCandidate): number {
  return (candidate.displayname ? 1 : 0) + (candidate.avatarUrl ? 1 : 0);
}

function toDirectoryUser(candidate: DirectoryCandidate): DirectoryUser {
  const user: DirectoryUser = { user_id: candidate.userId };
  if (candidate.displayname) user.display_name = candidate.displayname;
  if (candidate.avatarUrl) user.avatar_url = candidate.avatarUrl;
  return user;
}
