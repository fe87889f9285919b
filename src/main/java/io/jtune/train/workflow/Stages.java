package io.jtune.train.workflow;

import io.jtune.JtuneException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training stages jtune runs, by the stage key's value: the one place a new stage is registered
 * (LLaMA-Factory's tuner picks run_pt, run_sft, ... the same way).
 */
final class Stages {
    private static final Map<String, StageWorkflow> BY_NAME = byName(List.of(
            new PretrainWorkflow(),
            new SupervisedWorkflow(),
            new RewardWorkflow(),
            new PpoWorkflow(),
            new DpoWorkflow(),
            new KtoWorkflow(),
            new GrpoWorkflow()));

    private Stages() {}

    /** The workflow of a stage; a stage jtune lacks is a user error naming the ones it has. */
    static StageWorkflow forName(String stage) {
        StageWorkflow workflow = BY_NAME.get(stage);
        if (workflow == null) {
            throw new JtuneException("stage: '" + stage + "' is not supported yet by jtune; supported: " + String.join(", ", names()));
        }
        return workflow;
    }

    /** The supported stages, in the order LLaMA-Factory's pipeline runs them (pt, sft, rm, ...). */
    static Set<String> names() {
        return BY_NAME.keySet();
    }

    private static Map<String, StageWorkflow> byName(List<StageWorkflow> workflows) {
        Map<String, StageWorkflow> map = new LinkedHashMap<>();
        for (StageWorkflow w : workflows) map.put(w.stage(), w);
        return java.util.Collections.unmodifiableMap(map);
    }
}
