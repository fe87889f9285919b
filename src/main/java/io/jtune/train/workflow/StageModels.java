package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * What a stage's objective may be built from: the config, the opened base checkpoint (a frozen
 * reference copy is built from it) and the model being trained or evaluated. Files the objective
 * opens for itself (a separate reference model) are handed to {@link #closeWithRun} and closed when
 * the run ends.
 */
record StageModels(JtuneConfig config, BaseModel base, TrainableModel model, List<AutoCloseable> openedForRun) {
    StageModels(JtuneConfig config, BaseModel base, TrainableModel model) {
        this(config, base, model, new ArrayList<>());
    }

    /** Keeps {@code resource} open until the run ends. */
    <T extends AutoCloseable> T closeWithRun(T resource) {
        openedForRun.add(resource);
        return resource;
    }

    /** Closes what the objective opened, last opened first. */
    void closeOpened() {
        for (int i = openedForRun.size() - 1; i >= 0; i--) {
            try {
                openedForRun.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + openedForRun.get(i) + ": " + e.getMessage(), e);
            }
        }
        openedForRun.clear();
    }
}
