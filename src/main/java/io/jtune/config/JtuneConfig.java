package io.jtune.config;

import io.jtune.JtuneException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded, checked configuration: every key's value (given or default), where each given value came
 * from, the warnings for ignored keys, and the typed argument groups with LLaMA-Factory's derived
 * defaults applied.
 */
public final class JtuneConfig {
    private final String source;
    private final java.nio.file.Path configDir;
    private final Map<String, Object> values;
    private final Map<String, String> origins;
    private final List<String> warnings;
    private final ModelArguments model;
    private final DataArguments data;
    private final FinetuningArguments finetuning;
    private final TrainingArguments training;
    private final GeneratingArguments generating;
    private final ExportArguments export;

    JtuneConfig(String source, java.nio.file.Path configDir, Map<String, Object> values, Map<String, String> origins,
                List<String> warnings) {
        this.source = source;
        this.configDir = configDir;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
        this.warnings = List.copyOf(withDeepSpeedNote(warnings));
        this.model = ModelArguments.from(this);
        this.data = DataArguments.from(this);
        this.finetuning = FinetuningArguments.from(this);
        this.training = TrainingArguments.from(this);
        this.generating = GeneratingArguments.from(this);
        this.export = ExportArguments.from(this);
        CrossChecks.apply(this);
    }

    /** Checks a deepspeed setting (see {@link DeepSpeedCheck}) and adds what was checked to its warning. */
    private List<String> withDeepSpeedNote(List<String> given) {
        Object ds = values.get("deepspeed");
        if (ds == null) {
            return given;
        }
        DeepSpeedCheck.Finding f = DeepSpeedCheck.inspect(ds, configDir);
        if (!f.problems().isEmpty()) {
            throw error("deepspeed", "is not supported yet by jtune, and this DeepSpeed configuration would change training: "
                    + String.join("; ", f.problems()));
        }
        List<String> out = new java.util.ArrayList<>();
        for (String w : given) {
            out.add(w.startsWith("deepspeed = ") ? w + " (" + f.note() + ")" : w);
        }
        return out;
    }

    /** The file (or name) the config came from, as messages print it. */
    public String source() {
        return source;
    }

    /** Every key with its value as given or defaulted (before derived defaults), in definition order of the given keys first. */
    public Map<String, Object> values() {
        return values;
    }

    /**
     * Every key's effective value: as given or defaulted, with the derived defaults LLaMA-Factory and
     * transformers apply (lora_alpha, packing, do_eval, eval_steps, data_seed, report_to, metric_for_best_model,
     * greater_is_better) filled in.
     */
    public Map<String, Object> resolvedValues() {
        Map<String, Object> r = new LinkedHashMap<>(values);
        r.put("lora_alpha", (long) finetuning.loraAlpha());
        r.put("packing", data.packing());
        r.put("do_eval", training.doEval());
        r.put("eval_steps", training.evalSteps());
        r.put("data_seed", (long) training.dataSeed());
        r.put("metric_for_best_model", training.metricForBestModel());
        r.put("greater_is_better", training.greaterIsBetter());
        r.put("report_to", training.reportTo().isEmpty() ? List.of("none") : training.reportTo());
        return Collections.unmodifiableMap(r);
    }

    /** The keys whose value differs from what was given or defaulted because a derived default applied. */
    public boolean isDerived(String key) {
        return !java.util.Objects.equals(values.get(key), resolvedValues().get(key));
    }

    /** Whether the user set the key (in the file or an override). */
    public boolean isSet(String key) {
        return origins.containsKey(key);
    }

    /** The keys the user set, in the order they were given, with where they were set. */
    public Map<String, String> origins() {
        return origins;
    }

    /** Warnings for ignored keys and values, each a complete sentence, in the order the keys were given. */
    public List<String> warnings() {
        return warnings;
    }

    public ModelArguments model() {
        return model;
    }

    public DataArguments data() {
        return data;
    }

    public FinetuningArguments finetuning() {
        return finetuning;
    }

    public TrainingArguments training() {
        return training;
    }

    public GeneratingArguments generating() {
        return generating;
    }

    public ExportArguments export() {
        return export;
    }

    /** Stage ppo's keys (LLaMA-Factory's, and TRL's PPOConfig names), read when asked for. */
    public PpoArguments ppo() {
        return PpoArguments.from(this);
    }

    /** Stage grpo's keys (TRL's GRPOConfig names), read when asked for: other stages never need them. */
    public GrpoArguments grpo() {
        return GrpoArguments.from(this);
    }

    /**
     * Whether training recomputes activations in backward. LLaMA-Factory enables gradient
     * checkpointing for every trainable model unless disable_gradient_checkpointing is set, whatever
     * gradient_checkpointing says (model_utils/checkpointing.py); jtune follows that.
     */
    public boolean recomputeActivations() {
        return training.gradientCheckpointing() || !model.disableGradientCheckpointing();
    }

    // Typed raw access for the argument records; jtune's own key names, so a miss is a bug.

    Object raw(String key) {
        ConfigKeys.get(key);
        return values.get(key);
    }

    String string(String key) {
        return (String) raw(key);
    }

    boolean bool(String key) {
        return (Boolean) raw(key);
    }

    Boolean nullableBool(String key) {
        return (Boolean) raw(key);
    }

    int integer(String key) {
        return Math.toIntExact((Long) raw(key));
    }

    Integer nullableInteger(String key) {
        Long v = (Long) raw(key);
        return v == null ? null : Math.toIntExact(v);
    }

    double real(String key) {
        return ((Number) raw(key)).doubleValue();
    }

    Double nullableReal(String key) {
        Number v = (Number) raw(key);
        return v == null ? null : v.doubleValue();
    }

    @SuppressWarnings("unchecked")
    List<String> list(String key) {
        return (List<String>) raw(key);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String key) {
        Map<String, Object> m = (Map<String, Object>) raw(key);
        return m == null ? Map.of() : m;
    }

    /** An error about a key, naming the file and where the key was set. */
    JtuneException error(String key, String message) {
        String where = origins.getOrDefault(key, source);
        return new JtuneException(where + ": key '" + key + "': " + message);
    }

    /** An error about a combination of keys. */
    JtuneException error(String message) {
        return new JtuneException(source + ": " + message);
    }
}
