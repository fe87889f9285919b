package io.jtune.infer;

import io.jtune.JtuneException;

/** A request named a model (an adapter) the engine does not serve (any more). */
public final class UnknownModelException extends JtuneException {
    private final String model;

    public UnknownModelException(String model, String message) {
        super(message);
        this.model = model;
    }

    public String model() {
        return model;
    }
}
