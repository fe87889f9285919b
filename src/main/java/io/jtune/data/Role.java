package io.jtune.data;

/** The roles of LLaMA-Factory's aligned format (data_utils.Role). */
public enum Role {
    USER("user"),
    ASSISTANT("assistant"),
    SYSTEM("system"),
    FUNCTION("function"),
    OBSERVATION("observation");

    private final String value;

    Role(String value) {
        this.value = value;
    }

    public String value() {
        return value;
    }
}
