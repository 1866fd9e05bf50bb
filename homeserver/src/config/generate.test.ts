import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseSigningKeyLine } from '@parley/federation';
import { renderDefaultConfig } from './generate.js';
import { validateConfig } from './load.js';
import { configLeaves, envVarName } from './schema.js';

describe('renderDefaultConfig', () => {
  it('produces YAML that validates and resolves to the defaults plus a signing key', () => {
    const config = validateConfig(parse(renderDefaultConfig()), { baseDir: '/srv' });
    expect(config.server_name).toBe('localhost:8008');
    expect(config.listen).toEqual({ bind: '127.0.0.1', port: 8008 });
    expect(config.data_dir).toBe('/srv/data');
    expect(config.registration.mode).toBe('open');
    expect(() => parseSigningKeyLine(config.signing_key as string)).not.toThrow();
  });

  it('writes the given server name and a fresh key each time', () => {
    const first = parse(renderDefaultConfig({ serverName: 'example.org' })) as Record<string, unknown>;
    const second = parse(renderDefaultConfig({ serverName: 'example.org' })) as Record<string, unknown>;
    expect(first.server_name).toBe('example.org');
    expect(first.signing_key).not.toBe(second.signing_key);
  });

  it('documents every key with its description and env var', () => {
    const text = renderDefaultConfig();
    for (const leaf of configLeaves()) {
      expect(text).toContain(`# env: ${envVarName(leaf.path)}`);
      const firstWords = leaf.meta.description.split(' ').slice(0, 3).join(' ');
      expect(firstWords.length).toBeGreaterThan(0);
      expect(text.replace(/\n\s*# /g, ' ')).toContain(firstWords);
    }
    expect(text).toContain('# env: PARLEY_LISTEN_PORT or PARLEY_PORT');
    expect(text).toContain('#url: postgres://parley@127.0.0.1:5432/parley');
  });

  it('keeps comment lines within 100 columns', () => {
    for (const line of renderDefaultConfig().split('\n')) {
      if (line.trimStart().startsWith('# ') && !line.includes('env:')) expect(line.length).toBeLessThanOrEqual(100);
    }
  });
});
