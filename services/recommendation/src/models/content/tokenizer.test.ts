import { describe, expect, it } from "vitest";
import { titleWithoutYear, productTerms } from "./product-text.js";
import { categoryTerm, tokenize } from "./tokenizer.js";

describe("tokenize", () => {
  it("stems inflections to one term, so 'running' and 'runs' match", () => {
    expect(tokenize("running")).toEqual(["run"]);
    expect(tokenize("runs")).toEqual(["run"]);
    expect(tokenize("Stories")).toEqual(tokenize("story"));
  });

  it("drops natural's English stop words and one-character tokens", () => {
    expect(tokenize("The Lord of the Rings")).toEqual(["lord", "ring"]);
    expect(tokenize("A Bug's Life")).toEqual(["bug", "life"]);
  });

  it("folds case and diacritics and splits on punctuation", () => {
    expect(tokenize("Amélie")).toEqual(tokenize("AMELIE"));
    expect(tokenize("Sci-Fi")).toEqual(["sci", "fi"]);
    expect(tokenize("Schindler's List")).toEqual(["schindler", "list"]);
  });

  it("keeps repeats (term frequency), drops numbers, keeps words with digits", () => {
    expect(tokenize("heat heat 2001 20,000 2")).toEqual(["heat", "heat"]);
    expect(tokenize("Se7en")).toEqual(["se7en"]);
  });
});

describe("categoryTerm", () => {
  it("makes one whole, unstemmed term per category", () => {
    expect(categoryTerm("Sci-Fi")).toBe("genre:sci-fi");
    expect(categoryTerm("Film-Noir")).toBe("genre:film-noir");
    expect(categoryTerm("Science Fiction")).toBe("genre:science-fiction");
  });

  it("ignores empty categories and MovieLens' '(no genres listed)'", () => {
    expect(categoryTerm(" ")).toBeUndefined();
    expect(categoryTerm("(no genres listed)")).toBeUndefined();
  });
});

describe("productTerms", () => {
  it("indexes the title without its year, the categories and the tags", () => {
    expect(titleWithoutYear("Toy Story (1995)")).toBe("Toy Story");
    expect(titleWithoutYear("Fawlty Towers (1975-1979)")).toBe("Fawlty Towers");
    expect(titleWithoutYear("City of Lost Children, The (Cité des enfants perdus, La) (1995)")).toBe(
      "City of Lost Children, The (Cité des enfants perdus, La)",
    );
    expect(productTerms({ productId: "1", title: "Toy Story (1995)", categories: ["Animation", "Sci-Fi"], tags: ["Pixar", "fun"] })).toEqual([
      "toi",
      "stori",
      "genre:animation",
      "genre:sci-fi",
      "pixar",
      "fun",
    ]);
  });
});
