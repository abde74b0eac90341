/**
 * `npm run build-models`: builds the recommendation models (TF-IDF content neighbours of every
 * product and cold-start popularity) from the running ProductService and EngagementService, and
 * replaces the snapshot stored in the recommendation database (see `runModelBuild`). A running
 * RecommendationService keeps serving the snapshot it loaded; it picks up the new one on restart.
 *
 * Environment (as the RecommendationService reads it, see services/recommendation/src/config.ts):
 * DATABASE_URL (default postgres://recsys:recsys@127.0.0.1:5432/recsys_recommendation),
 * PRODUCT_SERVICE_ADDR (127.0.0.1:50052), ENGAGEMENT_SERVICE_ADDR (127.0.0.1:50054),
 * SERVICE_TOKEN (the internal callers' token; development default outside production),
 * MODEL_NEIGHBORS (50), MODEL_MAX_DOCUMENT_FREQUENCY (0 = no cap), LOG_LEVEL (default warn).
 * Prints the build's id, sizes and phase timings; exits 1 with the error's message on failure.
 */
import { createLogger } from "../../../../shared/src/logger.js";
import { loadRecommendationConfig } from "../../config.js";
import { runModelBuild } from "../model-build/run-model-build.js";

const logger = createLogger("build-models");
if (!process.env.LOG_LEVEL) logger.level = "warn";

try {
  const config = loadRecommendationConfig();
  const result = await runModelBuild({
    databaseUrl: config.DATABASE_URL,
    productServiceAddr: config.PRODUCT_SERVICE_ADDR,
    engagementServiceAddr: config.ENGAGEMENT_SERVICE_ADDR,
    serviceToken: config.SERVICE_TOKEN,
    build: {
      neighborCount: config.MODEL_NEIGHBORS,
      itemNeighborCount: config.MODEL_ITEM_NEIGHBORS,
      maxDocumentFrequency: config.MODEL_MAX_DOCUMENT_FREQUENCY > 0 ? config.MODEL_MAX_DOCUMENT_FREQUENCY : undefined,
    },
    logger,
  });
  const t = result.timings;
  console.log(`model build ${result.build.id}: ${result.build.productCount} products, ${result.build.eventCount} events`);
  console.log(`  read catalog     ${t.catalogMs} ms`);
  console.log(`  read events      ${t.eventsMs} ms (concurrently with the catalog)`);
  console.log(`  TF-IDF vectors   ${t.vectorizeMs} ms (vocabulary ${result.models.content.vocabularySize} terms)`);
  console.log(`  top-k neighbours ${t.neighborsMs} ms`);
  console.log(`  popularity       ${t.popularityMs} ms`);
  console.log(`  build total      ${t.totalMs} ms`);
  console.log(`  store snapshot   ${result.saveMs} ms`);
} catch (err) {
  console.error(`build-models failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
