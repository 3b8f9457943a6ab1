/**
 * The Handlebars helpers the templates may call. The template compiler declares exactly these
 * (`knownHelpersOnly`), so any other `{{name}}` is a plain field lookup: shorter generated code, and
 * a misspelt helper fails the build instead of rendering a field.
 */
export const HELPER_NAMES = ['number', 'percent', 'longDate', 'shortDate', 'plural', 'eq'] as const;

export type HelperName = (typeof HELPER_NAMES)[number];
