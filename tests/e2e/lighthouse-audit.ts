/**
 * Lighthouse (Google's page audit) on one URL, in a Chromium of its own started by its own
 * launcher from Debian's binary (ensure-chromium.ts): the accessibility, best-practices and SEO
 * categories, which do not depend on the machine's speed. Performance is left out on purpose:
 * speed is measured by the benchmarks, never asserted in a test on this shared machine.
 */
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM_ARGS, chromiumPath } from './ensure-chromium';

export const AUDITED_CATEGORIES = ['accessibility', 'best-practices', 'seo'] as const;

export interface LighthouseVerdict {
  /** Each audited category's score, 0 to 1. */
  readonly scores: Readonly<Record<string, number | null>>;
  /** The audits that count towards a score and did not pass, as `category: audit (title)`. */
  readonly failed: readonly string[];
}

export async function lighthouseAudit(url: string): Promise<LighthouseVerdict> {
  const chrome = await chromeLauncher.launch({
    chromePath: chromiumPath(),
    // Lighthouse drives a page of its own: the same container flags as the browser tests.
    chromeFlags: CHROMIUM_ARGS.map((flag) => (flag === '--headless' ? '--headless=new' : flag)),
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: [...AUDITED_CATEGORIES],
      // Lighthouse fetches robots.txt from inside the page, which the site's CSP (default-src
      // 'none': no page may connect anywhere) refuses, so it reports it "unable to download"
      // (Lighthouse issue #4386). The browser test reads robots.txt as a crawler does instead.
      skipAudits: ['robots-txt'],
      formFactor: 'mobile',
    });
    if (result === undefined) throw new Error(`Lighthouse gave no result for ${url}`);
    const { categories, audits } = result.lhr;
    const failed: string[] = [];
    for (const category of Object.values(categories)) {
      for (const ref of category.auditRefs) {
        const audit = audits[ref.id];
        if (ref.weight > 0 && audit !== undefined && audit.score !== null && audit.score < 1) {
          failed.push(
            `${category.id}: ${audit.id} (${audit.title})${audit.explanation ? `: ${audit.explanation}` : ''}`,
          );
        }
      }
    }
    return {
      scores: Object.fromEntries(Object.values(categories).map((c) => [c.id, c.score])),
      failed,
    };
  } finally {
    chrome.kill();
  }
}
