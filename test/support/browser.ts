/**
 * Launching the system headless Chromium through playwright-core (never its downloaded browsers), with a fresh
 * profile directory that close() removes. Flags keep it off the network except for the pages a test opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export interface TestBrowser {
  /** A persistent context on the fresh profile (playwright takes the profile as userDataDir, not as a flag). */
  context: BrowserContext;
  /** Closes the browser and deletes its profile. Idempotent. */
  close(): Promise<void>;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function launchChromium(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, args, headless: true });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    close: () =>
      (closing ??= context.close().finally(() => rmSync(userDataDir, { recursive: true, force: true }))),
  };
}
