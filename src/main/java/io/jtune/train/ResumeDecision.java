package io.jtune.train;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which checkpoint a training run continues from, by LLaMA-Factory's rule (hparams/parser.py):
 * an explicit resume_from_checkpoint wins; otherwise, when training into an existing output_dir
 * without overwrite_output_dir, the newest checkpoint-N there is resumed, and an output_dir that
 * already holds a finished model but no checkpoint is an error rather than something to overwrite.
 */
public final class ResumeDecision {
    private static final Pattern CHECKPOINT_DIR = Pattern.compile("^checkpoint-(\\d+)$");

    /** LLaMA-Factory's CHECKPOINT_NAMES: files that mark a directory as holding saved weights. */
    static final Set<String> WEIGHT_FILES = Set.of("adapter_model.safetensors", "adapter_model.bin",
            "model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json", "pytorch_model.bin");

    private ResumeDecision() {}

    /**
     * @param outputDir            output_dir
     * @param resumeFromCheckpoint the resume_from_checkpoint key (null when unset)
     * @param doTrain              do_train
     * @param overwriteOutputDir   overwrite_output_dir
     * @return the checkpoint folder to resume from, or empty to start afresh
     */
    public static Optional<Path> resolve(Path outputDir, String resumeFromCheckpoint, boolean doTrain, boolean overwriteOutputDir) {
        io.jtune.train.checkpoint.OutputDirCheck.requireWritable(outputDir);
        if (resumeFromCheckpoint != null) {
            Path explicit = Path.of(resumeFromCheckpoint);
            if (!Files.isDirectory(explicit)) {
                throw new JtuneException("resume_from_checkpoint: " + explicit + " is not a checkpoint folder");
            }
            return Optional.of(explicit);
        }
        if (!doTrain || overwriteOutputDir || !Files.isDirectory(outputDir)) {
            return Optional.empty();
        }
        Optional<Path> last = lastCheckpoint(outputDir);
        if (last.isEmpty() && WEIGHT_FILES.stream().anyMatch(f -> Files.isRegularFile(outputDir.resolve(f)))) {
            throw new JtuneException("output_dir " + outputDir + " already holds a trained model and no checkpoint to resume;"
                    + " set overwrite_output_dir: true to replace it, or choose another output_dir");
        }
        return last;
    }

    /** transformers' get_last_checkpoint: the checkpoint-N folder with the largest N (temporary folders never match). */
    public static Optional<Path> lastCheckpoint(Path outputDir) {
        try (Stream<Path> entries = Files.list(outputDir)) {
            Path best = null;
            long bestStep = -1;
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = CHECKPOINT_DIR.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    long step = Long.parseLong(m.group(1));
                    if (step > bestStep) {
                        best = p;
                        bestStep = step;
                    }
                }
            }
            return Optional.ofNullable(best);
        } catch (IOException e) {
            throw new JtuneException("cannot list output_dir " + outputDir + ": " + e.getMessage(), e);
        }
    }
}
