import PorterStemmer from "natural/lib/natural/stemmers/porter_stemmer.js";
import { words as englishStopWords } from "natural/lib/natural/util/stopwords.js";

/** natural's English stop-word list, as a set (lower case). */
const STOP_WORDS: ReadonlySet<string> = new Set(englishStopWords);

/** Shortest token kept, in characters (single letters and digits carry no topic). */
const MIN_TOKEN_LENGTH = 2;

/**
 * Splits free text into stemmed index terms, the usual pipeline of Manning, Raghavan and Schütze,
 * *Introduction to Information Retrieval* (2008), ch. 2 (https://nlp.stanford.edu/IR-book/):
 *
 * 1. Unicode NFKD normalisation with combining marks removed ("Amélie" → "amelie") and lower-casing;
 * 2. apostrophes removed inside words ("Schindler's" → "schindlers", "don't" → "dont");
 * 3. split on every character that is not a letter or a digit ("Sci-Fi" → "sci", "fi");
 * 4. tokens shorter than 2 characters, tokens made only of digits ("20" in "20 Dates" would
 *    otherwise link it to "20,000 Leagues Under the Sea"; years are not topics either) and natural's
 *    English stop words dropped;
 * 5. each token stemmed with natural's Porter stemmer (M. F. Porter, "An algorithm for suffix
 *    stripping", Program 14(3), 1980), so "running" and "runs" both become "run".
 *
 * @param text - any text (a title, a tag, a description).
 * @returns the stemmed terms in text order, repeats kept (they are the term frequencies).
 */
export function tokenize(text: string): string[] {
  const folded = text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/['’`]/g, "");
  const terms: string[] = [];
  for (const raw of folded.split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length < MIN_TOKEN_LENGTH || STOP_WORDS.has(raw) || /^\p{N}+$/u.test(raw)) continue;
    terms.push(PorterStemmer.stem(raw));
  }
  return terms;
}

/**
 * Turns a category (a MovieLens genre such as "Sci-Fi" or "Film-Noir") into one whole index term,
 * `genre:<lower-case name with blanks as '-'>` ("genre:sci-fi"), so a category is matched only by
 * the same category and never stemmed or split into words that titles also use.
 *
 * @param category - the category as the catalog spells it.
 * @returns the term, or undefined for an empty category or MovieLens' "(no genres listed)".
 */
export function categoryTerm(category: string): string | undefined {
  const name = category.trim().toLowerCase().replace(/\s+/g, "-");
  if (name === "" || name === "(no-genres-listed)") return undefined;
  return `genre:${name}`;
}
