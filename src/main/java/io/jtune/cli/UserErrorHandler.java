package io.jtune.cli;

import io.jtune.JtuneException;
import io.jtune.util.IoErrors;
import java.io.IOException;
import picocli.CommandLine;

/**
 * Prints user errors as one clear line (exit 1); so are faults of the machine rather than of jtune (a
 * full disk, a folder that cannot be written), named by the file they concern. Anything else is a bug
 * and keeps its stack trace (exit 2).
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (ex instanceof JtuneException) {
            cl.getErr().println("error: " + ex.getMessage());
            return 1;
        }
        IOException io = IoErrors.find(ex);
        if (io != null) {
            cl.getErr().println("error: " + IoErrors.describe(io));
            return 1;
        }
        cl.getErr().println("internal error (please report it): " + ex);
        ex.printStackTrace(cl.getErr());
        return 2;
    }
}
