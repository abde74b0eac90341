import { describe, expect, it } from "vitest";
import type { LoadedNcfArtifact } from "./artifact.js";
import { NcfCollaborativeModel } from "./ncf-collaborative-model.js";
import { fakeTrainedNeuMF } from "./testing-fixtures.js";

describe("NcfCollaborativeModel", () => {
  it("scores known candidates with the current model, leaves unknown ones out, and follows swaps", async () => {
    const holder: { current: LoadedNcfArtifact | undefined } = { current: undefined };
    const model = new NcfCollaborativeModel(holder);
    expect(await model.scores("u1", ["1", "2"])).toEqual(new Map());

    const first = fakeTrainedNeuMF(1);
    holder.current = { scorer: first.scorer } as LoadedNcfArtifact;
    const scores = await model.scores("u1", ["1", "nope", "2"]);
    expect([...scores.keys()]).toEqual(["1", "2"]);
    expect(scores.get("2")).toBe(first.scorer.score("u1", ["2"])![0]);
    expect(await model.scores("stranger", ["1"])).toEqual(new Map());

    const second = fakeTrainedNeuMF(2);
    holder.current = { scorer: second.scorer } as LoadedNcfArtifact;
    expect((await model.scores("u1", ["2"])).get("2")).toBe(second.scorer.score("u1", ["2"])![0]);
    expect(second.scorer.score("u1", ["2"])![0]).not.toBe(first.scorer.score("u1", ["2"])![0]);
  });
});
