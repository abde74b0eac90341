import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { RecommendationService } from "../../gen/recsys/recommendation/v1/recommendation_service_pb.js";

// gRPC (h2c) through Envoy's public port; RECSYS_URL defaults to the Envoy of `npm start`.
const transport = createGrpcTransport({ baseUrl: process.env.RECSYS_URL ?? "http://localhost:8080" });
const { product } = await createClient(ProductService, transport).getProduct({ productId: "1" });
console.log(`${product?.title} [${product?.categories.join(", ")}]`);
const similar = await createClient(RecommendationService, transport).getSimilarProducts({ productId: "1", limit: 3 });
for (const item of similar.items) console.log(`similar: ${item.title} (score ${item.score.toFixed(2)}: ${item.reason})`);
