import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { ProductService } from "../../../../../gen/recsys/product/v1/product_service_pb.js";
import type { ProductDirectory } from "../domain/product-directory.js";
import { dependencyError } from "../../../../shared/src/peers/dependency-error.js";

/**
 * {@link ProductDirectory} over ProductService.GetProduct, for products newer than the in-memory
 * catalog the models were loaded with.
 */
export class GrpcProductDirectory implements ProductDirectory {
  /** @param client - a ProductService client (see `createServiceClient`). */
  constructor(private readonly client: Client<typeof ProductService>) {}

  /**
   * @returns true when GetProduct answers, false on NOT_FOUND.
   * @throws UnavailableError "product service is unavailable, retry later" on an outage; Error
   *   "product service failed: …" (answered INTERNAL) on any other failure (see `dependencyError`).
   */
  async exists(productId: string): Promise<boolean> {
    try {
      await this.client.getProduct({ productId });
      return true;
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.NotFound) return false;
      throw dependencyError("product service", err);
    }
  }
}
