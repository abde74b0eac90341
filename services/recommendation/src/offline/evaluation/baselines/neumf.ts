import type { NcfInteraction, ValidationCase } from "../../../models/ncf/ncf-types.js";
import { trainNeuMF } from "../../training/train.js";
import type { ItemScorer, ModelSpec } from "../evaluated-model.js";

/**
 * NeuMF (He et al., "Neural Collaborative Filtering", WWW 2017, https://arxiv.org/abs/1708.05031)
 * trained by `trainNeuMF` of ncf/train.ts on the training interactions with its default options,
 * except the seed (the run's seed) and the epochs (`--epochs`, when given). Items the model never
 * saw in training score NaN, ranked behind every other item; so does every item of a user it does
 * not know (none in this protocol: every evaluated user has training interactions).
 *
 * With `traceEpochs`, the evaluated cases (their first held-out item, against the sampled
 * negatives or, under full ranking, every item the user did not train on) are passed as the
 * trainer's validation cases so that each epoch logs its HR@10/NDCG@10: monitoring only (the trainer keeps the last epoch's weights, so
 * the test set does not select the model), at the cost of one evaluation per epoch.
 */
export const neumfModel: ModelSpec = {
  name: "neumf",
  label: "NeuMF",
  async train(context) {
    const { data, log } = context;
    const interactions: NcfInteraction[] = data.train.map((e) => ({ userId: e.userId, productId: e.productId, timestampMs: e.timestampMs }));
    const validation: ValidationCase[] | undefined = context.traceEpochs
      ? data.cases.map((c) => {
          const seen = new Set(data.trainItems[c.user]);
          return {
            userId: data.userIds[c.user]!,
            heldOut: data.itemIds[c.heldOut]!,
            // Full ranking (no sampled negatives): every item the user did not train on.
            candidates:
              c.negatives.length > 0
                ? [...c.negatives].map((i) => data.itemIds[i]!)
                : data.itemIds.filter((_, i) => i !== c.heldOut && !seen.has(i)),
          };
        })
      : undefined;
    const trained = await trainNeuMF(
      interactions,
      { seed: context.seed, ...(context.epochs !== undefined ? { epochs: context.epochs } : {}) },
      {
        onEpoch(s) {
          const quality = s.validationHr10 === undefined ? "" : `, HR@10 ${s.validationHr10.toFixed(3)}, NDCG@10 ${s.validationNdcg10?.toFixed(3)}`;
          log(`NeuMF epoch ${s.epoch}: loss ${s.loss.toFixed(4)}, ${Math.round(s.samplesPerSecond)} samples/s, ${(s.durationMs / 1000).toFixed(1)} s${quality}`);
        },
        ...(validation ? { validation } : {}),
      },
    );
    const userIds = data.userIds;
    const itemIds = data.itemIds;
    const scorer: ItemScorer = {
      score(user, items) {
        const ids = Array.from(items, (i) => itemIds[i]!);
        return trained.scorer.score(userIds[user]!, ids) ?? new Float64Array(items.length).fill(Number.NaN);
      },
    };
    const options = Object.entries(trained.options)
      .map(([key, value]) => `${key} ${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}`)
      .join(", ");
    return {
      scorer,
      trainingMs: trained.trainingMs,
      epochs: trained.epochs.length,
      neumf: trained.scorer,
      notes: `${options}, backend ${trained.backend}`,
    };
  },
};
