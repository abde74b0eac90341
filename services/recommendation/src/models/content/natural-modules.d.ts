/*
 * Types for the two `natural` modules imported by deep path. The package's index loads every
 * storage back end, and those call `dotenv.config()` (reading a `.env` file into `process.env`
 * and printing to stdout) and take ~400 ms to import, so the tokenizer imports only the Porter
 * stemmer and the English stop-word list.
 */

declare module "natural/lib/natural/stemmers/porter_stemmer.js" {
  /** natural's Porter (1980) stemmer; `stem` lower-cases and stems one token. */
  const PorterStemmer: { stem(token: string): string };
  export default PorterStemmer;
}

declare module "natural/lib/natural/util/stopwords.js" {
  /** natural's English stop-word list (170 lower-case words). */
  export const words: string[];
}
