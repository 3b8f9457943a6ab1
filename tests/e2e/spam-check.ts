/**
 * SpamAssassin (Debian's package, debian-package.ts), as a receiving mail server's filter reads
 * our email: local tests only (`-L`: no DNS blocklists, no network), so the score is what the
 * message's own headers and body earn. The message is the MIME that SES would build from the
 * same Simple content (subject, text and HTML parts, our headers), composed by nodemailer. It is
 * unsigned: deployed, SES adds DKIM, which only lowers the score.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type DebianTool, ensureDebianPackage, runs } from './debian-package';

export interface SpamVerdict {
  readonly score: number;
  /** The rules that fired, as SpamAssassin names them. */
  readonly rules: readonly string[];
}

export interface MailToScore {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

// `command -v`, not a run: starting SpamAssassin's Perl takes a second, and the setup checks every run.
export const SPAMASSASSIN_TOOL: DebianTool = {
  pkg: 'spamassassin',
  present: () => runs('sh', ['-c', 'command -v spamassassin']),
};

export function ensureSpamAssassin(log?: (line: string) => void): string | undefined {
  return ensureDebianPackage(SPAMASSASSIN_TOOL, log);
}

/** SpamAssassin's score for `mail` and the rules it hit. */
export async function spamVerdict(mail: MailToScore): Promise<SpamVerdict> {
  const problem = ensureSpamAssassin();
  if (problem !== undefined) throw new Error(problem);
  const raw = await new MailComposer({
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: { ...mail.headers },
    messageId: '<synthetic-message@email.amazonses.com>',
    date: new Date(),
  })
    .compile()
    .build();
  // A HOME of its own: SpamAssassin writes its per-user files there.
  const home = await mkdtemp(join(tmpdir(), 'ddor-spamassassin-'));
  try {
    const processed = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        'spamassassin',
        ['-L'],
        { env: { PATH: process.env.PATH ?? '', HOME: home }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end(raw);
    });
    // X-Spam-Status: No, score=0.0 required=5.0 tests=HTML_MESSAGE,NO_RECEIVED autolearn=ham …
    const headerEnd = processed.search(/\r?\n\r?\n/);
    const status = /^X-Spam-Status: ([^\n]*(?:\n[ \t][^\n]*)*)/im.exec(processed.slice(0, headerEnd))?.[1];
    if (status === undefined) throw new Error('SpamAssassin added no X-Spam-Status header');
    const unfolded = status.replace(/\r?\n[ \t]+/g, ' ').replace(/,\s+/g, ',');
    const score = Number(/score=(-?[\d.]+)/.exec(unfolded)?.[1]);
    const tests = /tests=(\S*)/.exec(unfolded)?.[1] ?? '';
    return { score, rules: tests.split(',').filter((rule) => rule !== '' && rule !== 'none') };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
