import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser } from 'playwright-core';

/**
 * A real headless Chromium for the page's end-to-end tests, with nothing downloaded: the binary
 * ships inside the @sparticuz/chromium npm package (unpacked to the temp directory on first
 * use). If it cannot start here the test fails saying why, never skips.
 */
export async function launchBrowser(): Promise<Browser> {
  let executablePath: string;
  try {
    executablePath = await chromium.executablePath();
  } catch (error) {
    throw new Error(
      `Cannot unpack the Chromium shipped in @sparticuz/chromium: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return await playwright.launch({
      executablePath,
      headless: true,
      // Its own flags, and none that reach for the network: this machine's is closed.
      args: [
        ...chromium.args,
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  } catch (error) {
    throw new Error(
      `Chromium (${executablePath}, from @sparticuz/chromium) would not start: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
