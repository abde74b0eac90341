import type { Logger } from "pino";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { ProductService } from "../../../../../gen/recsys/product/v1/product_service_pb.js";
import { serviceTokenInterceptor } from "../../../../shared/src/access-control.js";
import { createServiceClient } from "../../../../shared/src/clients.js";
import { openServiceDatabase } from "../../../../shared/src/pg.js";
import { SnapshotRepository } from "../../storage/snapshot-repository.js";
import { RECOMMENDATION_MIGRATIONS_DIR } from "../../storage/migrations-dir.js";
import type { BuildModelsOptions } from "./build-models.js";
import { GrpcCatalogSource, GrpcInteractionSource } from "./grpc-sources.js";
import { buildAndStoreModels, type StoredBuild } from "./model-store.js";

/** Where {@link runModelBuild} reads and writes. */
export interface RunModelBuildOptions {
  /** The recommendation database (created and migrated when missing). */
  readonly databaseUrl: string;
  /** ProductService `host:port`. */
  readonly productServiceAddr: string;
  /** EngagementService `host:port`. */
  readonly engagementServiceAddr: string;
  /** The service token sent on both services' calls (ScanEvents is an internal RPC). */
  readonly serviceToken: string;
  /** Deadline of each RPC, in ms (default 30000: a ScanEvents page of 5000 events may take a while). */
  readonly callTimeoutMs?: number;
  /** Neighbour count, document-frequency cap, popularity prior. */
  readonly build?: Omit<BuildModelsOptions, "logger">;
  /** Progress and timings. */
  readonly logger: Logger;
}

/**
 * Builds the model snapshot from the running ProductService and EngagementService and stores it
 * in the recommendation database, as one self-contained step: the entry point of
 * `npm run build-models` (offline/cli/build-models.ts) and of a start script that wants a snapshot
 * before the RecommendationService starts. Opens and closes its own connections.
 *
 * @returns the stored build, its timings and the models.
 * @throws UnavailableError when ProductService or EngagementService is down; the
 *   PostgreSQL error when the database cannot be reached or written.
 */
export async function runModelBuild(options: RunModelBuildOptions): Promise<StoredBuild> {
  const { logger } = options;
  const pool = await openServiceDatabase(options.databaseUrl, RECOMMENDATION_MIGRATIONS_DIR, logger, { max: 2 });
  try {
    const timeoutMs = options.callTimeoutMs ?? 30_000;
    const interceptors = [serviceTokenInterceptor(options.serviceToken)];
    return await buildAndStoreModels({
      catalogSource: new GrpcCatalogSource(createServiceClient(ProductService, options.productServiceAddr, { timeoutMs, interceptors })),
      interactionSource: new GrpcInteractionSource(createServiceClient(EngagementService, options.engagementServiceAddr, { timeoutMs, interceptors })),
      repository: new SnapshotRepository(pool),
      logger,
      options: options.build,
    });
  } finally {
    await pool.end();
  }
}
