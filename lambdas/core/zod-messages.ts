import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod/mini (the schemas' API: about half of classic zod's bundle and a fraction of its import
 * time) ships no messages of its own: every issue without a message of ours would read "Invalid
 * input". This installs the English messages classic zod installs, once per process; every module
 * that builds schemas imports it, so no parse can run before it.
 */
z.config(en());
