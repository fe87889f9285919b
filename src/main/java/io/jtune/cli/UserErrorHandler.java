package io.jtune.cli;

import io.jtune.JtuneException;
import picocli.CommandLine;

/** Prints user errors as one clear line (exit 1); anything else is a bug and keeps its stack trace (exit 2). */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (ex instanceof JtuneException) {
            cl.getErr().println("error: " + ex.getMessage());
            return 1;
        }
        cl.getErr().println("internal error (please report it): " + ex);
        ex.printStackTrace(cl.getErr());
        return 2;
    }
}
