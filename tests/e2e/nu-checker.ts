/**
 * The W3C Nu HTML Checker (vnu.jar from the `vnu-jar` package, run by the machine's Java), as a
 * reader's tools see our markup: every document given is checked in one JVM run, and each
 * message comes back with the document's name. The package's own install script (a Java
 * download) is denied in package.json (`allowScripts`): the jar ships in the package, and Java is
 * Debian's (debian-package.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type DebianTool, ensureDebianPackage, runs } from './debian-package';

const run = promisify(execFile);

export interface NuMessage {
  /** The name the document was given. */
  readonly document: string;
  /** `error`, `warning` (an info with subType warning), `info`, or `fatal` (the checker could not run). */
  readonly type: 'error' | 'warning' | 'info' | 'fatal';
  readonly message: string;
  readonly line?: number;
  readonly extract?: string;
}

interface VnuJson {
  messages: {
    url?: string;
    type: string;
    subType?: string;
    message: string;
    lastLine?: number;
    extract?: string;
  }[];
}

function jarPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('vnu-jar/package.json')), 'build', 'dist', 'vnu.jar');
}

/** Why Java cannot run the checker, or undefined when it can (installing Debian's first if need be). */
export function ensureJava(log?: (line: string) => void): string | undefined {
  return ensureDebianPackage(JAVA_TOOL, log);
}

export const JAVA_TOOL: DebianTool = {
  pkg: 'default-jre-headless',
  present: () => runs('java', ['-version']),
};

/** Checks every document (name → HTML) in one run of the checker; every message it gives. */
export async function nuCheck(documents: ReadonlyMap<string, string>): Promise<NuMessage[]> {
  const problem = ensureJava();
  if (problem !== undefined) throw new Error(problem);
  const dir = await mkdtemp(join(tmpdir(), 'ddor-vnu-'));
  try {
    const byFile = new Map<string, string>();
    for (const [i, [name, html]] of [...documents].entries()) {
      const file = join(dir, `${i}.html`);
      await writeFile(file, html);
      byFile.set(`file:${file}`, name);
    }
    // vnu exits 1 when it found errors; the JSON report is on stderr either way.
    const result = await run(
      'java',
      ['-jar', jarPath(), '--format', 'json', ...[...byFile.keys()].map((u) => u.slice(5))],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((error: { stderr?: string; code?: number }) => {
      if (typeof error.stderr === 'string' && error.stderr.trim().startsWith('{'))
        return { stderr: error.stderr };
      throw error;
    });
    const report = JSON.parse(result.stderr) as VnuJson;
    return report.messages.map((m) => ({
      document: byFile.get(m.url ?? '') ?? m.url ?? '?',
      type:
        m.type === 'error'
          ? 'error'
          : m.type === 'info'
            ? m.subType === 'warning'
              ? 'warning'
              : 'info'
            : 'fatal',
      message: m.message,
      ...(m.lastLine === undefined ? {} : { line: m.lastLine }),
      ...(m.extract === undefined ? {} : { extract: m.extract }),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A message as one line, for an assertion's diff. */
export function describeMessage(m: NuMessage): string {
  return `${m.document}:${m.line ?? '?'}: ${m.type}: ${m.message}${m.extract ? ` [${m.extract.trim().slice(0, 80)}]` : ''}`;
}
