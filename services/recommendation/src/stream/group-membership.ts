import type { Consumer } from "kafkajs";
import type { DependencyProbe } from "../../../shared/src/dependency-health.js";

/**
 * Whether a kafkajs consumer is a member of its consumer group now, from its instrumentation events
 * (https://kafka.js.org/docs/instrumentation-events): a member from each `GROUP_JOIN` (the join and
 * sync of a rebalance completed, partitions assigned) until a `CRASH` (kafkajs restarts a crashed
 * consumer, which joins again), `STOP` or `DISCONNECT`. A rebalance in progress does not end
 * membership: the member keeps its partitions until it joins again.
 *
 * Listens from construction on: create it before the consumer connects.
 */
export class GroupMembership {
  private member = false;

  /**
   * @param consumer - the kafkajs consumer, not yet connected.
   * @param groupId - its group, named in the probe's error.
   */
  constructor(
    consumer: Consumer,
    private readonly groupId: string,
  ) {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.member = true;
    });
    for (const event of [consumer.events.CRASH, consumer.events.STOP, consumer.events.DISCONNECT]) {
      consumer.on(event, () => {
        this.member = false;
      });
    }
  }

  /** True between a `GROUP_JOIN` and the next crash, stop or disconnect. */
  get joined(): boolean {
    return this.member;
  }

  /**
   * A required {@link DependencyProbe} named "kafka-consumer-group" that fails while the consumer is
   * not a member of its group (before its first join, and from a crash until it joins again).
   */
  probe(): DependencyProbe {
    return {
      name: "kafka-consumer-group",
      required: true,
      check: async () => {
        if (!this.member) throw new Error(`not a member of consumer group ${this.groupId} (yet)`);
      },
    };
  }
}
