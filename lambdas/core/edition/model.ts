/**
 * The weekly edition's data: exactly what `report.json` holds (CONTRACT.md section 4), and what
 * every template renders. An edition's *own content* (headline and Sections I–III) decides
 * whether publishing makes a new revision; everything else is recomputed at each revision.
 */

export interface JurisdictionName {
  id: string;
  name: string;
  state: string;
}

export interface EditionMeta {
  /** The Saturday that starts the week: the edition's name. */
  week: string;
  /** The Friday that ends it. */
  weekEnd: string;
  revision: number;
  /** ISO instant of this revision. */
  publishedAt: string;
  timeZone: string;
  /** The date of the next scheduled edition (ISO date in the report's time zone). */
  nextEditionOn: string;
  /** SHA-256 of the canonical JSON of the own content (headline, Sections I–III). */
  contentHash: string;
}

export interface Headline {
  issued: number;
  declined: number;
  jurisdictionsWithDeclines: number;
  statesWithDeclines: number;
}

export interface SectionIRow {
  rank: number;
  jurisdiction: JurisdictionName;
  issued: number;
  declined: number;
  /** True when a limiting policy is in force at the week's end. */
  hasPolicy: boolean;
}

export interface DeclineRow {
  ref: string;
  kind: 'detainer' | 'notification_request';
  facility: string;
  citizenship?: string;
  offenses: { description: string; status: 'charged' | 'convicted' }[];
  issuedOn: string;
  declinedOn: string;
  learnedOn: string;
  /** The jurisdiction the detainer was issued to, when the person was transferred before release. */
  transferredFrom?: JurisdictionName;
  liftedOn?: string;
}

export interface SectionIIGroup {
  jurisdiction: JurisdictionName;
  declines: DeclineRow[];
}

export interface PolicyView {
  enactedOn: string;
  type: string;
  summary: string;
  criteria: string;
  source: string;
}

export interface SectionIIIRow {
  jurisdiction: JurisdictionName & { aor?: string };
  policy: PolicyView;
}

export interface TrendPoint {
  week: string;
  issued: number;
  declined: number;
}

/** Section IV: scope, definitions and data-fidelity figures, all computed from the data. */
export interface SectionIV {
  /** Declines in the week recorded more than 30 days after they happened. */
  recordedLate: { thresholdDays: number; count: number; share: number; oldestIssuedOn?: string };
  /** Declines in the week whose issuance was in an earlier week. */
  issuedEarlier: number;
  /** Share of the week's records (issued or declined) with each optional field present. */
  completeness: { field: string; present: number; total: number; share: number }[];
  /** Records issued in the week, by their current outcome. */
  issuedByOutcome: Record<'pending' | 'honored' | 'declined' | 'transferred' | 'lifted', number>;
  /** By kind, among records issued in the week. */
  issuedByKind: { detainer: number; notification_request: number };
  /** Declines in the week that followed a transfer (counted for the receiving agency). */
  declinesAfterTransfer: number;
  /** Declines in the week that ICE lifted afterwards (still counted). */
  declinesLifted: number;
  /** Jurisdictions with a policy in force at the week's end. */
  jurisdictionsWithPolicy: number;
  /** Live figures, computed at each revision and never a cause of one. */
  openDisputes: { count: number; oldestOpenedAt?: string; oldestAgeDays?: number };
  correctionsSinceLastEdition: number;
  /** How the edition was reviewed before it was published (contract §3); absent without review. */
  review?: string;
}

export interface CorrectionEntry {
  revision: number;
  /** ISO date of the revision that made the correction. */
  date: string;
  ref?: string;
  jurisdiction: JurisdictionName;
  field: string;
  before: unknown;
  after: unknown;
  reason: string;
}

/** A re-issue of an earlier week, listed in the next emailed edition. */
export interface EarlierCorrection {
  week: string;
  weekEnd: string;
  revision: number;
  publishedAt: string;
  changes: number;
  url: string;
}

export interface Edition {
  /** True when built from the synthetic demo or test data: every rendering says so. */
  synthetic: boolean;
  edition: EditionMeta;
  headline: Headline;
  sectionI: SectionIRow[];
  sectionII: SectionIIGroup[];
  sectionIII: SectionIIIRow[];
  sectionIV: SectionIV;
  /** The last 12 weeks, oldest first, ending with this one. */
  trend: TrendPoint[];
  comparison: {
    previousWeek: { issued: number; declined: number };
    twelveWeekAverage: { issued: number; declined: number };
  };
  corrections: CorrectionEntry[];
  /** Revisions of earlier weeks since the last emailed edition (for the email and page). */
  earlierCorrections: EarlierCorrection[];
}
