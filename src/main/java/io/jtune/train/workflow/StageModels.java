package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;

/**
 * What a stage's objective may be built from: the config, the opened base checkpoint (a frozen
 * reference copy is built from it) and the model being trained or evaluated.
 */
record StageModels(JtuneConfig config, BaseModel base, TrainableModel model) {}
