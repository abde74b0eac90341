/** Tells whether a product exists in the catalog (ProductService.GetProduct in production; see `GrpcProductDirectory`). */
export interface ProductDirectory {
  /**
   * @param productId - a syntactically valid product id.
   * @returns true when the product exists, false when the catalog says NOT_FOUND.
   * @throws UnavailableError when the catalog cannot be reached.
   */
  exists(productId: string): Promise<boolean>;
}
