import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from './load.js';

const baseDir = '/srv/parley';

describe('http.trust_proxy and user_directory.search_all_users', () => {
  it('default to false', () => {
    const config = loadConfig({ env: {}, baseDir });
    expect(config.http.trust_proxy).toBe(false);
    expect(config.user_directory.search_all_users).toBe(false);
  });

  it('read true from the file and from the derived env vars', () => {
    const fromFile = validateConfig({ http: { trust_proxy: true }, user_directory: { search_all_users: true } }, { baseDir });
    expect([fromFile.http.trust_proxy, fromFile.user_directory.search_all_users]).toEqual([true, true]);
    const fromEnv = loadConfig({ env: { PARLEY_HTTP_TRUST_PROXY: 'true', PARLEY_USER_DIRECTORY_SEARCH_ALL_USERS: 'true' }, baseDir });
    expect([fromEnv.http.trust_proxy, fromEnv.user_directory.search_all_users]).toEqual([true, true]);
  });

  it('reject values that are not booleans and unknown keys, naming the key', () => {
    expect(() => validateConfig({ http: { trust_proxy: 'yes' } }, { baseDir })).toThrow(ConfigError);
    expect(() => validateConfig({ http: { trust_proxy: 'yes' } }, { baseDir })).toThrow(/http\.trust_proxy/);
    expect(() => validateConfig({ user_directory: { search_everyone: true } }, { baseDir })).toThrow(/search_everyone/);
  });
});
