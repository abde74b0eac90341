import { categoryTerm, tokenize } from "./tokenizer.js";

/** The parts of a product that the content model reads. */
export interface ProductText {
  /** Stable product id. */
  readonly productId: string;
  /** Display title, for example "Heat (1995)"; a trailing "(year)" is not indexed. */
  readonly title: string;
  /** Categories (MovieLens genres), each indexed as one whole term (see {@link categoryTerm}). */
  readonly categories: readonly string[];
  /** Free-text tags, tokenised and stemmed like the title. */
  readonly tags: readonly string[];
  /** Optional free-text description, tokenised and stemmed like the title (empty in MovieLens). */
  readonly description?: string;
}

/** A trailing release year or year range in parentheses: "(1995)", "(2006–2007)", "(2007-)". */
const TRAILING_YEAR = /\s*\(\s*\d{4}\s*(?:[-–]\s*(?:\d{4})?\s*)?\)\s*$/u;

/**
 * Removes the trailing "(year)" of a MovieLens title, so that the year does not make films of the
 * same year look alike: "Toy Story (1995)" → "Toy Story". Other parentheses (alternative titles)
 * are kept.
 *
 * @param title - the display title.
 */
export function titleWithoutYear(title: string): string {
  return title.replace(TRAILING_YEAR, "").trim();
}

/**
 * The bag of index terms of one product: the stemmed words of its title without the year, one
 * `genre:<name>` term per category, and the stemmed words of its tags and description.
 *
 * @param product - the product's text.
 * @returns the terms, repeats kept (term frequency counts them).
 */
export function productTerms(product: ProductText): string[] {
  const terms = tokenize(titleWithoutYear(product.title));
  for (const category of product.categories) {
    const term = categoryTerm(category);
    if (term !== undefined) terms.push(term);
  }
  for (const tag of product.tags) terms.push(...tokenize(tag));
  if (product.description) terms.push(...tokenize(product.description));
  return terms;
}
