import type { Logger } from "pino";
import { ProductService } from "../../../gen/recsys/product/v1/product_service_pb.js";
import { createGrpcServer, registration, type GrpcServer, type ServiceRegistration } from "../../shared/src/grpc-server.js";
import type { AccessControl } from "../../shared/src/access-control.js";
import type { CatalogIndexSource } from "./data/catalog-index.js";
import type { ProductRepository } from "./data/product-repository.js";
import { ProductServiceImpl } from "./service.js";

/** What the ProductService server needs. */
export interface ProductServerDeps {
  /** Catalog storage. */
  readonly repository: ProductRepository;
  /** Checks the service token of the internal RPC, BatchGetProducts. */
  readonly access: AccessControl;
  /** The in-memory catalog index that GetProduct and ListProducts without a query read (default: none, the database). */
  readonly catalogIndex?: CatalogIndexSource;
  /** How long ListCategories answers from memory, in ms (default 0: counts on every call). */
  readonly categoriesCacheMs?: number;
  /** Process logger. */
  readonly logger: Logger;
}

/**
 * The ProductService registration (implementation and the dependency named in UNAVAILABLE answers,
 * "catalog database"): what {@link build} serves over gRPC, and what tests serve in process with
 * `createClient(ProductService, inMemoryTransport(productRegistration(deps)))`.
 *
 * @param deps - the catalog repository, access control, the ListCategories cache time and the
 *   optional in-memory catalog index.
 */
export function productRegistration(
  deps: Pick<ProductServerDeps, "repository" | "access" | "categoriesCacheMs" | "catalogIndex">,
): ServiceRegistration {
  const impl = new ProductServiceImpl(deps.repository, {
    access: deps.access,
    categoriesCacheMs: deps.categoriesCacheMs ?? 0,
    ...(deps.catalogIndex ? { catalogIndex: deps.catalogIndex } : {}),
  });
  return registration(ProductService, impl, "catalog database");
}

/**
 * Builds the ProductService gRPC server (with health and reflection) without listening; call
 * `listen(host, port)` on the result. Database outages answer UNAVAILABLE naming the catalog
 * database.
 *
 * @param deps - repository, access control and logger.
 */
export function build(deps: ProductServerDeps): GrpcServer {
  return createGrpcServer({
    logger: deps.logger,
    services: [productRegistration(deps)],
  });
}
