package io.jtune.config;

/** How far jtune honours a configuration key (or one of its values). */
public enum Support {
    /** jtune does what the key asks, with LLaMA-Factory's meaning. */
    SUPPORTED,
    /** jtune accepts the key but does nothing with it; only used where that cannot change the trained weights or metrics. */
    IGNORED_WITH_WARNING,
    /** Setting the key (to anything but its default) is an error: "not supported yet by jtune". */
    UNSUPPORTED;

    /** The spelling the docs and the forms description use. */
    public String label() {
        return switch (this) {
            case SUPPORTED -> "supported";
            case IGNORED_WITH_WARNING -> "ignored (warning)";
            case UNSUPPORTED -> "not supported yet";
        };
    }
}
