/**
 * Reads one gauge's samples from a Prometheus text endpoint
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 *
 * @param url - the `/metrics` URL.
 * @param metric - the metric name, e.g. "recsys_dependency_up".
 * @param label - the label whose value keys the result, e.g. "dependency".
 * @returns value by that label's value (samples without the label are left out).
 * @throws Error when the endpoint does not answer 200.
 */
export async function scrapeByLabel(url: string, metric: string, label: string): Promise<Record<string, number>> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  const out: Record<string, number> = {};
  const line = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`);
  for (const text of (await res.text()).split("\n")) {
    const m = line.exec(text);
    if (!m) continue;
    const value = new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(m[1]!)?.[1];
    if (value !== undefined) out[value] = Number(m[2]);
  }
  return out;
}
