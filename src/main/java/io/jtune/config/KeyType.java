package io.jtune.config;

/** The value types a configuration key can take, as LLaMA-Factory's dataclasses declare them. */
public enum KeyType {
    STRING("str"),
    INT("int"),
    /** A float; YAML's "1e-4" (a string to YAML 1.1) is accepted too, as LLaMA-Factory accepts it. */
    FLOAT("float"),
    BOOL("bool"),
    /** One string out of a fixed list of choices. */
    CHOICE("choice"),
    /** A YAML list or one comma-separated string ("a, b"), as LLaMA-Factory's split_arg reads it. */
    LIST("list"),
    /** A mapping, or a JSON object written as a string ('{"min_lr": 1e-6}'), like HF's dict arguments. */
    MAP("dict"),
    /** A path or a mapping (deepspeed, fsdp_config, vllm_config ...): kept as given. */
    ANY("str|dict");

    private final String label;

    KeyType(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
