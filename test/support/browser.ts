/**
 * Chromium from the system's package for the browser tests, driven by playwright-core. Where
 * it is missing, test/support/ensure-chromium.sh installs it (as root); when it still is
 * missing the tests fail, naming what to do: a browser test never skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const ENSURE = fileURLToPath(new URL('./ensure-chromium.sh', import.meta.url));

function systemChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this name
    }
  }
  return undefined;
}

export async function launchChromium(): Promise<Browser> {
  let path = systemChromium();
  if (path === undefined) {
    spawnSync(ENSURE, { stdio: 'inherit', timeout: 600_000 });
    path = systemChromium();
  }
  if (path === undefined) {
    throw new Error(
      `the browser tests need Debian's chromium package${process.env.CI === 'true' ? ' (CI=true)' : ''}: run ${ENSURE} as root, or apt-get install chromium`,
    );
  }
  return chromium.launch({
    executablePath: path,
    // Root in a container needs no sandbox; pages in background tabs must not be slowed (a test opens two).
    args: [
      '--no-sandbox',
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}
