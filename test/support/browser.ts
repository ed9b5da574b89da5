import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium: the tests never download a browser. */
export const chromiumPath = '/usr/bin/chromium';

/** A headless Chromium of the test's own; `launch` makes (and on close removes) a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/**
 * Screenshots of a browser test: into `BOOKLY_SCREENSHOTS` when it is set
 * (to look at the pages), and otherwise only for a step that failed, into a
 * folder that is kept and named in the failure, since it is the evidence.
 */
export class Screenshots {
  private failureDir: string | undefined;

  constructor(private readonly name: string) {}

  /**
   * Takes a screenshot when asked to keep them; returns its path. `focus` narrows it to the part the
   * step is about (one operation of a long docs page); without it, the whole page.
   */
  async take(page: Page, step: string, focus?: Locator): Promise<string | undefined> {
    const dir = process.env.BOOKLY_SCREENSHOTS;
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${this.name}-${step}.png`);
    if (focus) await focus.screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Runs a step; when it fails, the whole page as it was goes with the error. */
  async step<T>(page: Page, step: string, work: () => Promise<T>, focus?: () => Locator): Promise<T> {
    try {
      const result = await work();
      await this.take(page, step, focus?.());
      return result;
    } catch (error) {
      this.failureDir ??= mkdtempSync(join(tmpdir(), `bookly-screenshots-${this.name}-`));
      const path = join(this.failureDir, `${step}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      throw new Error(`step "${step}" failed (screenshot: ${path}): ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
}
