/**
 * Where Section II's rows are shown: on the edition page when it has room for them, on pages of
 * their own (`/reports/{week}/_/section-ii/{n}/`, CONTRACT.md section 4) otherwise, so that the
 * edition page stays within its weight on a phone and no page of the site is over 400,000 bytes.
 */
import type { JurisdictionGroupView, StateGroupView } from './edition-view';

/**
 * Past this many rows, Section II is never on the edition page (a row is about 170 bytes of HTML:
 * 300 rows alone are half the page's budget). Up to it, the page's weight decides.
 */
export const SECTION_II_INLINE_ROWS = 300;

/**
 * The edition page's weight (contract section 4: 100,000 bytes of HTML for a week of 200
 * declines). Section II stays on the page only if the page with it is within this.
 */
export const EDITION_PAGE_BUDGET = 100_000;

/** Rows per page of its own: about 250 KB at the heaviest rows we have measured, under 400,000 bytes. */
export const SECTION_II_PART_ROWS = 1_000;

export interface SectionIIPart {
  /** 1, 2, …: the `{n}` of its path. */
  number: number;
  states: StateGroupView[];
  rows: number;
  /** "Alabama – Florida", or one state's name. */
  label: string;
}

export type SectionIIPlan = { inline: true } | { inline: false; parts: SectionIIPart[] };

/** `inline`: whether the page has room for the rows (the caller measures; see `page.ts`). */
export function sectionIIPlan(states: readonly StateGroupView[], inline: boolean): SectionIIPlan {
  if (inline) return { inline: true };
  return { inline: false, parts: splitIntoParts(states, SECTION_II_PART_ROWS) };
}

/**
 * Rows in order, cut into parts of at most `limit` rows, as even as jurisdictions allow: a part
 * ends at a jurisdiction's end once it has its share of the rows; a jurisdiction longer than a
 * part continues on the next, its row header saying so.
 */
export function splitIntoParts(states: readonly StateGroupView[], limit: number): SectionIIPart[] {
  const total = states.reduce((sum, state) => sum + state.declines, 0);
  // Aiming at nine tenths of the limit leaves room for jurisdiction boundaries, so the last part
  // is not a remnant of a few rows.
  const share = Math.ceil(total / Math.max(1, Math.ceil(total / (limit * 0.9))));
  const parts: SectionIIPart[] = [];
  let current: StateGroupView[] = [];
  let rows = 0;
  const close = () => {
    if (rows === 0) return;
    parts.push({ number: parts.length + 1, states: current, rows, label: stateRange(current) });
    current = [];
    rows = 0;
  };
  const place = (state: StateGroupView, group: JurisdictionGroupView) => {
    let last = current.at(-1);
    if (last?.code !== state.code) {
      // The state's heading and summary are its whole figures, wherever its rows are cut.
      last = { ...state, jurisdictions: [] };
      current.push(last);
    }
    last.jurisdictions.push(group);
    rows += group.rows.length;
  };
  for (const state of states) {
    for (const group of state.jurisdictions) {
      if (rows > 0 && rows + group.rows.length > share) close();
      let offset = 0;
      while (group.rows.length - offset > share - rows) {
        const take = share - rows;
        place(state, { ...group, rows: group.rows.slice(offset, offset + take), continued: offset > 0 });
        offset += take;
        close();
      }
      if (offset < group.rows.length) {
        place(state, { ...group, rows: group.rows.slice(offset), continued: offset > 0 });
      }
    }
  }
  close();
  return parts;
}

function stateRange(states: readonly StateGroupView[]): string {
  const first = states[0]?.name ?? '';
  const last = states.at(-1)?.name ?? first;
  return first === last ? first : `${first} – ${last}`;
}
