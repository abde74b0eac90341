/**
 * A seeded synthetic e-commerce sample for the file importer (`npm run import -- products|users|events`):
 * a catalog of SKUs with descriptions, prices, categories, tags, image URLs and attributes, shoppers,
 * and their events, written as JSON Lines and CSV (docs/samples/ecommerce/).
 *
 * What is drawn:
 * - **Products**: spread over {@link CATEGORIES} in turn. The SKU is `sku-<CC>_<n>.<v>` (category
 *   code, a 4-digit model number, a variant digit), for example `sku-EL_1042.3`. The title is brand,
 *   adjective and noun from the category's word lists; the description two sentences composed from
 *   them (two distinct features and a use); 1 to 3 tags of the category's. The price is log-uniform in the
 *   category's range, ending in .99, .49 or .00, in EUR (7 in 10) or USD. Attributes: brand,
 *   color, material. Image `https://images.example.com/products/<sku>.jpg`.
 * - **Users**: `u-0001` …, username `<first>.<last><n>` and email `<username>@example.com`.
 * - **Events**: users active with weights ∝ 1/(rank+5) and products proposed with Zipf-like weights
 *   (r + 10)^-1.1 over a seeded ranking, so a few products are popular; the type is view 55%, click
 *   25%, like 10%, dislike 3%, rate 7% (ratings 3.0 to 5.0 mostly, in half stars). Times increase
 *   from 2025-01-01T00:00:00Z by 1 to 600 s per event, so no two events share a time.
 *
 * Every draw comes from {@link mulberry32} streams seeded with {@link deriveSeed}(seed, purpose):
 * the same seed gives the same files byte for byte.
 */
import { deriveSeed, mulberry32, randomBelow, type Prng } from "../../services/recommendation/src/models/prng.js";

/** Options of {@link generateEcommerceSample}. */
export interface EcommerceSampleOptions {
  /** Seed of every draw (default 42). */
  readonly seed?: number;
  /** Products (default 3000). */
  readonly products?: number;
  /** Users (default 500). */
  readonly users?: number;
  /** Events (default 20000). */
  readonly events?: number;
}

interface Category {
  readonly name: string;
  readonly code: string;
  readonly nouns: readonly string[];
  readonly adjectives: readonly string[];
  readonly brands: readonly string[];
  readonly features: readonly string[];
  readonly uses: readonly string[];
  readonly tags: readonly string[];
  readonly materials: readonly string[];
  /** Price range, in whole currency units. */
  readonly price: readonly [number, number];
}

/** The sample's categories and their word lists. */
export const CATEGORIES: readonly Category[] = [
  {
    name: "Electronics",
    code: "EL",
    nouns: ["Headphones", "Speaker", "Charger", "Keyboard", "Mouse", "Webcam", "Monitor", "Router", "Smartwatch", "Power Bank"],
    adjectives: ["Wireless", "Compact", "Noise-Cancelling", "Portable", "Ergonomic", "Ultra-Slim", "Fast", "Smart"],
    brands: ["Voltix", "Nordwave", "Kibo", "Lumen"],
    features: ["a 30-hour battery", "USB-C charging", "Bluetooth 5.3", "a braided cable", "low-latency mode"],
    uses: ["working from home", "travel", "gaming", "the office"],
    tags: ["wireless", "usb-c", "bluetooth", "gift idea", "bestseller"],
    materials: ["aluminium", "plastic", "silicone"],
    price: [9, 400],
  },
  {
    name: "Home & Kitchen",
    code: "HK",
    nouns: ["Kettle", "Knife Set", "Frying Pan", "Blender", "Coffee Grinder", "Cutting Board", "Teapot", "Toaster"],
    adjectives: ["Stainless", "Non-Stick", "Classic", "Cast-Iron", "Electric", "Minimalist"],
    brands: ["Casa Verde", "Hearthly", "Koch & Co", "Mira"],
    features: ["a dishwasher-safe body", "an auto shut-off", "a soft-grip handle", "a 1.7 litre capacity"],
    uses: ["everyday cooking", "small kitchens", "weekend brunches", "tea lovers"],
    tags: ["kitchen", "dishwasher safe", "eco", "gift idea"],
    materials: ["stainless steel", "cast iron", "bamboo", "ceramic"],
    price: [8, 250],
  },
  {
    name: "Books",
    code: "BK",
    nouns: ["Cookbook", "Novel", "Field Guide", "Atlas", "Biography", "Poetry Collection", "Workbook"],
    adjectives: ["Illustrated", "Collected", "Pocket", "Annotated", "Complete", "Essential"],
    brands: ["Quill House", "Northbridge Press", "Paper Lantern"],
    features: ["320 pages", "full-colour plates", "a ribbon bookmark", "a foreword by the author"],
    uses: ["long train rides", "curious readers", "the bedside table", "students"],
    tags: ["paperback", "hardcover", "bestseller", "classic"],
    materials: ["paper", "cloth-bound"],
    price: [6, 60],
  },
  {
    name: "Clothing",
    code: "CL",
    nouns: ["T-Shirt", "Hoodie", "Rain Jacket", "Chinos", "Scarf", "Sneakers", "Beanie", "Denim Jacket"],
    adjectives: ["Organic", "Slim-Fit", "Oversized", "Waterproof", "Lightweight", "Merino"],
    brands: ["Fjellby", "Urbano", "Loom & Thread", "Sable"],
    features: ["recycled fibres", "reinforced seams", "a relaxed cut", "a two-way zip"],
    uses: ["city walks", "layering in autumn", "rainy commutes", "weekends"],
    tags: ["organic cotton", "unisex", "new season", "sale"],
    materials: ["cotton", "merino wool", "polyester", "denim"],
    price: [12, 220],
  },
  {
    name: "Sports & Outdoors",
    code: "SP",
    nouns: ["Yoga Mat", "Water Bottle", "Tent", "Backpack", "Running Belt", "Trekking Poles", "Sleeping Bag"],
    adjectives: ["Ultralight", "Insulated", "Foldable", "Rugged", "Breathable", "Two-Person"],
    brands: ["Trailhead", "Alpenglow", "Stride", "Cairn"],
    features: ["a lifetime warranty", "a carry strap", "reflective details", "a 20 litre volume"],
    uses: ["day hikes", "camping trips", "morning runs", "the gym"],
    tags: ["outdoor", "hiking", "fitness", "waterproof"],
    materials: ["nylon", "aluminium", "TPE foam", "stainless steel"],
    price: [10, 450],
  },
  {
    name: "Toys & Games",
    code: "TG",
    nouns: ["Puzzle", "Board Game", "Building Blocks", "Plush Bear", "Card Game", "Kite", "Train Set"],
    adjectives: ["Wooden", "1000-Piece", "Family", "Cooperative", "Classic", "Magnetic"],
    brands: ["Tumble", "Playfair", "Little Owl"],
    features: ["non-toxic paint", "rules for 2 to 6 players", "a storage box", "60 pieces"],
    uses: ["rainy afternoons", "game nights", "ages 6 and up", "family holidays"],
    tags: ["family", "kids", "gift idea", "educational"],
    materials: ["wood", "cardboard", "plush", "plastic"],
    price: [7, 120],
  },
];

const FIRST = ["ada", "alan", "grace", "linus", "margaret", "dennis", "barbara", "ken", "frances", "edsger", "hedy", "tim", "radia", "john", "karen", "niklaus"];
const LAST = ["lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov", "thompson", "allen", "dijkstra", "lamarr", "berners", "perlman", "backus", "jones", "wirth"];
const COLORS = ["black", "white", "navy", "forest green", "sand", "charcoal", "red", "sky blue"];
const EVENT_TYPES: readonly (readonly [string, number])[] = [
  ["view", 0.55],
  ["click", 0.25],
  ["like", 0.1],
  ["dislike", 0.03],
  ["rate", 0.07],
];
const START_SECONDS = Date.UTC(2025, 0, 1) / 1000;

/** The sample's files by name (products.jsonl, products.csv, users.jsonl, users.csv, events.jsonl, events.csv) and their text. */
export type EcommerceSample = Readonly<Record<string, string>>;

interface SampleProduct {
  readonly product_id: string;
  readonly title: string;
  readonly description: string;
  readonly categories: readonly string[];
  readonly tags: readonly string[];
  readonly price: string;
  readonly currency: string;
  readonly image_url: string;
  readonly attributes: Readonly<Record<"brand" | "color" | "material", string>>;
}

/**
 * Generates the sample (see the module comment for what is drawn).
 *
 * @param options - seed and sizes.
 * @returns file name → content; CSV files have a header row and RFC 4180 quoting, JSON Lines one
 *   object per line; every file ends with a newline.
 */
export function generateEcommerceSample(options: EcommerceSampleOptions = {}): EcommerceSample {
  const seed = options.seed ?? 42;
  const productCount = options.products ?? 3000;
  const userCount = options.users ?? 500;
  const eventCount = options.events ?? 20_000;
  const products = drawProducts(mulberry32(deriveSeed(seed, "ecommerce-products")), productCount);
  const users = Array.from({ length: userCount }, (_, i) => {
    const random = mulberry32(deriveSeed(seed, `ecommerce-user-${i}`));
    const username = `${pick(random, FIRST)}.${pick(random, LAST)}${i + 1}`;
    return { user_id: `u-${String(i + 1).padStart(4, "0")}`, username, email: `${username}@example.com` };
  });
  const events = drawEvents(mulberry32(deriveSeed(seed, "ecommerce-events")), eventCount, users.length, products.length).map((e) => ({
    user_id: users[e.user]!.user_id,
    product_id: products[e.product]!.product_id,
    type: e.type,
    value: e.value,
    occur_time: new Date(e.seconds * 1000).toISOString().replace(".000Z", "Z"),
  }));

  const productColumns = ["product_id", "title", "description", "categories", "tags", "price", "currency", "image_url", "attributes.brand", "attributes.color", "attributes.material"];
  return {
    "products.csv": toCsv(
      productColumns,
      products.map((p) => [p.product_id, p.title, p.description, p.categories.join("|"), p.tags.join("|"), p.price, p.currency, p.image_url, p.attributes.brand, p.attributes.color, p.attributes.material]),
    ),
    // The JSON Lines catalog has a shop's own field names, so it needs products.jsonl.mapping.yaml.
    "products.jsonl": toJsonl(
      products.map((p) => ({
        sku: p.product_id,
        name: p.title,
        text: p.description,
        category: p.categories[0],
        labels: p.tags,
        pricing: { amount: p.price, currency: p.currency },
        image: p.image_url,
        brand: p.attributes.brand,
        color: p.attributes.color,
        material: p.attributes.material,
      })),
    ),
    "users.csv": toCsv(["user_id", "username", "email"], users.map((u) => [u.user_id, u.username, u.email])),
    "users.jsonl": toJsonl(users),
    "events.csv": toCsv(["user_id", "product_id", "type", "value", "occur_time"], events.map((e) => [e.user_id, e.product_id, e.type, e.value === 0 ? "" : String(e.value), e.occur_time])),
    // The JSON Lines events have a tracker's field names and Unix seconds: events.jsonl.mapping.yaml.
    "events.jsonl": toJsonl(
      events.map((e) => ({ shopper: e.user_id, sku: e.product_id, action: e.type.toUpperCase(), ...(e.value ? { stars: e.value } : {}), ts: Date.parse(e.occur_time) / 1000 })),
    ),
  };
}

function drawProducts(random: Prng, count: number): SampleProduct[] {
  const used = new Set<string>();
  const products: SampleProduct[] = [];
  for (let i = 0; i < count; i++) {
    const category = CATEGORIES[i % CATEGORIES.length]!;
    let sku: string;
    do sku = `sku-${category.code}_${1000 + randomBelow(random, 9000)}.${randomBelow(random, 10)}`;
    while (used.has(sku));
    used.add(sku);
    const brand = pick(random, category.brands);
    const adjective = pick(random, category.adjectives);
    const noun = pick(random, category.nouns);
    const color = pick(random, COLORS);
    const material = pick(random, category.materials);
    const first = randomBelow(random, category.features.length);
    const second = (first + 1 + randomBelow(random, category.features.length - 1)) % category.features.length;
    const description =
      `The ${brand} ${adjective.toLowerCase()} ${noun.toLowerCase()} in ${color}, made of ${material}, with ${category.features[first]}. ` +
      `Made for ${pick(random, category.uses)}, and it comes with ${category.features[second]}.`;
    const tagCount = 1 + randomBelow(random, 3);
    const tags = [...new Set(Array.from({ length: tagCount }, () => pick(random, category.tags)))];
    const [low, high] = category.price;
    const whole = Math.floor(Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low))));
    const cents = pick(random, ["99", "49", "00"]);
    products.push({
      product_id: sku,
      title: `${brand} ${adjective} ${noun}`,
      description,
      categories: [category.name],
      tags,
      price: `${whole}.${cents}`,
      currency: random() < 0.7 ? "EUR" : "USD",
      image_url: `https://images.example.com/products/${sku}.jpg`,
      attributes: { brand, color, material },
    });
  }
  return products;
}

function drawEvents(random: Prng, count: number, users: number, products: number) {
  const productWeights = cumulative(Array.from({ length: products }, (_, r) => (r + 10) ** -1.1));
  const userWeights = cumulative(Array.from({ length: users }, (_, r) => 1 / (r + 5)));
  // Seeded rankings: which product (user) has popularity (activity) rank r.
  const productRank = permutation(random, products);
  const userRank = permutation(random, users);
  const typeWeights = cumulative(EVENT_TYPES.map(([, w]) => w));
  const events: { user: number; product: number; type: string; value: number; seconds: number }[] = [];
  let seconds = START_SECONDS;
  for (let i = 0; i < count; i++) {
    seconds += 1 + randomBelow(random, 600);
    const type = EVENT_TYPES[draw(random, typeWeights)]![0];
    const value = type === "rate" ? Math.min(5, Math.max(0.5, Math.round((4 + (random() + random() + random() - 1.5) * 1.4) * 2) / 2)) : 0;
    events.push({ user: userRank[draw(random, userWeights)]!, product: productRank[draw(random, productWeights)]!, type, value, seconds });
  }
  return events;
}

function pick<T>(random: Prng, values: readonly T[]): T {
  return values[randomBelow(random, values.length)]!;
}

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  return out;
}

/** An index drawn with the weights whose running sums are `sums` (binary search). */
function draw(random: Prng, sums: Float64Array): number {
  const x = random() * sums[sums.length - 1]!;
  let lo = 0;
  let hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sums[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function permutation(random: Prng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(random, i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function toCsv(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns, ...rows].map((r) => r.map(field).join(",")).join("\n") + "\n";
}

function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}
