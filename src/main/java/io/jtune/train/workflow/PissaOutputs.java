package io.jtune.train.workflow;

import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.PissaConversion;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.TrainableParameter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * LLaMA-Factory's PissaConvertCallback (pissa_convert): when training begins, the adapter as
 * initialised goes to output_dir/pissa_init; when it ends, the trained adapter goes to
 * output_dir/pissa_backup and, converted to a plain LoRA over the original base
 * ({@link PissaConversion}), to output_dir/pissa_converted. The pissa_init and pissa_backup folders
 * say init_lora_weights: true, as LLaMA-Factory writes them (loading one does not re-run PiSSA).
 */
final class PissaOutputs {
    static final String INIT = "pissa_init", BACKUP = "pissa_backup", CONVERTED = "pissa_converted";

    private PissaOutputs() {}

    static void saveInitial(TrainedWeights weights, Path outputDir, PrintStream log) throws IOException {
        Path dir = outputDir.resolve(INIT);
        log.println("Initial PiSSA adapter will be saved at: " + dir);
        weights.saveAdapter(dir, plain(weights.adapterConfig()));
    }

    static void saveConverted(TrainedWeights weights, Path outputDir, PrintStream log) throws IOException {
        Path initDir = outputDir.resolve(INIT), dir = outputDir.resolve(CONVERTED);
        log.println("Converted PiSSA adapter will be saved at: " + dir);
        weights.saveAdapter(outputDir.resolve(BACKUP), plain(weights.adapterConfig()));
        List<TrainableParameter> params = weights.model().trainableParameters();
        float[] initial = new float[weights.model().parameterValues().length];
        List<AdapterWeights.Slot> slots = params.stream()
                .map(p -> new AdapterWeights.Slot(p.name(), p.rows(), p.cols(), p.offset(), p.isVector())).toList();
        AdapterWeights.read(initDir.resolve(AdapterWeights.ADAPTER_FILE), slots, initial);
        PissaConversion.write(dir, params, weights.model().parameterValues(), initial, weights.adapterConfig());
    }

    private static LoraAdapterConfig plain(LoraAdapterConfig c) {
        return c.withMethod(c.useDora(), "true");
    }
}
