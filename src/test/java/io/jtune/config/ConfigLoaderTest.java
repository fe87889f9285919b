package io.jtune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir Path dir;

    /** A LLaMA-Factory-style LoRA SFT recipe, as users write them. */
    private static final String LORA_SFT = """
            ### model
            model_name_or_path: models/qwen
            trust_remote_code: true

            ### method
            stage: sft
            do_train: true
            finetuning_type: lora
            lora_rank: 8
            lora_target: all

            ### dataset
            dataset: identity,alpaca_en_demo
            template: qwen
            cutoff_len: 2048
            max_samples: 1000
            preprocessing_num_workers: 16
            dataloader_num_workers: 4

            ### output
            output_dir: saves/qwen/lora/sft
            logging_steps: 10
            save_steps: 500
            plot_loss: true
            overwrite_output_dir: true
            report_to: none  # choices: [none, wandb, tensorboard, swanlab, mlflow]

            ### train
            per_device_train_batch_size: 1
            gradient_accumulation_steps: 8
            learning_rate: 1e-4
            num_train_epochs: 3.0
            lr_scheduler_type: cosine
            warmup_ratio: 0.1
            bf16: true
            ddp_timeout: 180000000
            resume_from_checkpoint: null
            """;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private JtuneException failure(String yaml, String... overrides) throws IOException {
        Path p = write("bad.yaml", yaml);
        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(p, List.of(overrides)));
        // messages name the file as given; compare them without the temporary folder
        return new JtuneException(e.getMessage().replace(dir + java.io.File.separator, ""));
    }

    private static final String MINIMAL = "model_name_or_path: m\n";

    @Test
    void aLlamaFactoryRecipeLoadsWithItsValuesAndDerivedDefaults() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("sft.yaml", LORA_SFT), List.of());
        assertEquals("models/qwen", c.model().modelNameOrPath());
        assertEquals(List.of("identity", "alpaca_en_demo"), c.data().dataset());
        assertEquals(1e-4, c.training().learningRate()); // "1e-4" is a string to YAML 1.1; accepted as LLaMA-Factory does
        assertEquals(16, c.finetuning().loraAlpha());     // 2 x lora_rank
        assertEquals(2.0, c.finetuning().loraScale());
        assertEquals(List.of("all"), c.finetuning().loraTarget());
        assertEquals(List.of(), c.training().reportTo());
        assertFalse(c.data().packing());                 // sft: packing off unless asked
        assertEquals(42, c.training().dataSeed());        // data_seed defaults to seed
        assertNull(c.training().resumeFromCheckpoint());
        assertTrue(c.isSet("bf16"));
        assertTrue(c.recomputeActivations()); // LLaMA-Factory checkpoints unless disable_gradient_checkpointing
        assertFalse(ConfigLoader.load(write("nogc.yaml", LORA_SFT), List.of("disable_gradient_checkpointing=true")).recomputeActivations());
        assertFalse(c.isSet("seed"));
    }

    @Test
    void ignoredKeysWarnAndSayWhy() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("sft.yaml", LORA_SFT), List.of());
        List<String> w = c.warnings();
        assertEquals(4, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("trust_remote_code = true is ignored: jtune never runs code"), w.get(0));
        assertTrue(w.stream().anyMatch(s -> s.startsWith("preprocessing_num_workers = 16 is ignored")), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.startsWith("dataloader_num_workers = 4 is ignored")), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.startsWith("ddp_timeout = 180000000 is ignored")), w.toString());
    }

    @Test
    void aMisspeltKeySuggestsTheClosestAndNamesFileAndLine() throws IOException {
        JtuneException e = failure(MINIMAL + "learning_rat: 1.0e-4\n");
        assertTrue(e.getMessage().contains("bad.yaml: line 2: unknown key 'learning_rat'; did you mean learning_rate?"), e.getMessage());
        e = failure(MINIMAL + "lora_rnak: 8\n");
        assertTrue(e.getMessage().endsWith("did you mean lora_rank?"), e.getMessage());
        e = failure(MINIMAL + "completely_unrelated_thing: 1\n");
        assertTrue(e.getMessage().contains("see `jtune config keys`"), e.getMessage());
    }

    @Test
    void aDeepSpeedFileWithOnlyZeroSettingsIsIgnoredWithAWarning() throws IOException {
        Files.createDirectories(dir.resolve("ds"));
        write("ds/z3.json", """
                {"train_batch_size": "auto", "train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": "auto",
                 "gradient_clipping": "auto", "zero_allow_untested_optimizer": true,
                 "fp16": {"enabled": "auto", "loss_scale": 0}, "bf16": {"enabled": "auto"},
                 "zero_optimization": {"stage": 3, "overlap_comm": false, "sub_group_size": 1e9}}""");
        JtuneConfig c = ConfigLoader.load(write("ok.yaml", MINIMAL + "deepspeed: ds/z3.json\n"), List.of());
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).startsWith("deepspeed = ds/z3.json is ignored: ZeRO only shards training state"), c.warnings().get(0));
        assertTrue(c.warnings().get(0).endsWith("(checked " + dir.resolve("ds/z3.json") + ": ZeRO settings only)"), c.warnings().get(0));

        write("ds/opt.json", "{\"optimizer\": {\"type\": \"AdamW\"}, \"gradient_clipping\": 0.5, \"bf16\": {\"enabled\": true}}");
        JtuneException e = failure(MINIMAL + "deepspeed: ds/opt.json\n");
        assertEquals("bad.yaml: line 2: key 'deepspeed': is not supported yet by jtune, and this DeepSpeed configuration would change"
                + " training: optimizer (jtune takes optimizer, schedule and precision from the config's keys only);"
                + " gradient_clipping = 0.5 (use \"auto\"); bf16.enabled = true (use \"auto\"; set bf16 in the config instead)", e.getMessage());
        c = ConfigLoader.load(write("missing.yaml", MINIMAL + "deepspeed: examples/deepspeed/ds_z3_config.json\n"), List.of());
        assertTrue(c.warnings().get(0).endsWith("(the file examples/deepspeed/ds_z3_config.json was not found, so its settings"
                + " could not be checked)"), c.warnings().get(0));
    }

    @Test
    void anUnsupportedKeyIsAnErrorNamingItAndWhy() throws IOException {
        JtuneException e = failure(MINIMAL + "use_galore: true\n");
        assertEquals("bad.yaml: line 2: use_galore is not supported yet by jtune: GaLore is not implemented (optim: adamw_torch or sgd)"
                + " (remove the key or set it to its default)", e.getMessage());
        assertTrue(failure(MINIMAL + "use_apollo: true\n").getMessage().contains("use_apollo is not supported yet by jtune: APOLLO is not implemented"));
        assertTrue(failure(MINIMAL + "use_badam: true\n").getMessage().contains("use_badam is not supported yet by jtune: BAdam is not implemented"));
        assertTrue(failure(MINIMAL + "finetuning_type: oft\n").getMessage().contains("OFT adapters are not implemented"));
        e = failure(MINIMAL + "quantization_method: gptq\n");
        assertTrue(e.getMessage().contains("quantization_method = gptq is not supported yet by jtune"), e.getMessage());
    }

    @Test
    void adapterMethodKeysLoadWithLlamaFactorysChecks() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("ok.yaml", MINIMAL + "use_dora: true\npissa_init: true\npissa_iter: -1\n"
                + "loraplus_lr_ratio: 16\n"), List.of());
        assertTrue(c.finetuning().useDora() && c.finetuning().pissaInit());
        assertEquals(-1, c.finetuning().pissaIter());
        assertEquals(16.0, c.finetuning().loraplusLrRatio());
        assertEquals(1e-6, c.finetuning().loraplusLrEmbedding());
        assertTrue(failure(MINIMAL + "finetuning_type: full\nloraplus_lr_ratio: 16\n").getMessage()
                .contains("'loraplus_lr_ratio': is only valid for LoRA training"));
        assertTrue(failure(MINIMAL + "stage: kto\npissa_convert: true\n").getMessage().contains("'pissa_convert': cannot be used with stage kto"));
        assertTrue(failure(MINIMAL + "stage: dpo\npissa_convert: true\n").getMessage().contains("and a reference model"));
        assertTrue(failure(MINIMAL + "use_dora: true\npissa_convert: true\n").getMessage().contains("cannot convert a DoRA adapter"));
        assertTrue(failure(MINIMAL + "finetuning_type: freeze\nuse_dora: true\n").getMessage().contains("'use_dora': is only valid with finetuning_type lora"));
        assertTrue(failure(MINIMAL + "pissa_iter: -2\n").getMessage().contains("pissa_iter"));
    }

    @Test
    void anUnsupportedKeyAtItsDefaultIsFine() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("ok.yaml", MINIMAL + "use_galore: false\nquantization_bit: null\ndeepspeed: null\n"), List.of());
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
    }

    @Test
    void anUnsupportedChoiceNamesTheSupportedOnes() throws IOException {
        JtuneException e = failure(MINIMAL + "finetuning_type: oft\n");
        assertEquals("bad.yaml: line 2: finetuning_type = oft is not supported yet by jtune: OFT adapters are not implemented; supported: lora, freeze, full",
                e.getMessage());
        e = failure(MINIMAL + "optim: adafactor\n");
        assertTrue(e.getMessage().contains("supported: adamw_torch, adamw_torch_fused, sgd"), e.getMessage());
    }

    @Test
    void aWrongChoiceListsTheChoicesAndTheClosest() throws IOException {
        JtuneException e = failure(MINIMAL + "finetuning_type: loar\n");
        assertEquals("bad.yaml: line 2: key 'finetuning_type': 'loar' is not allowed; choose one of lora, oft, freeze, full (did you mean lora?)",
                e.getMessage());
    }

    @Test
    void wrongTypesAndRangesNameTheKeyAndWhatIsAllowed() throws IOException {
        assertEquals("bad.yaml: line 2: key 'learning_rate': expected a number >= 0, got 'abc'",
                failure(MINIMAL + "learning_rate: abc\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'per_device_train_batch_size': -1 is out of range; expected an integer >= 1",
                failure(MINIMAL + "per_device_train_batch_size: -1\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'do_train': expected true or false, got 'maybe'",
                failure(MINIMAL + "do_train: maybe\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'cutoff_len': expected an integer >= 1, got '1k'",
                failure(MINIMAL + "cutoff_len: 1k\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'cutoff_len': null is not allowed; expected an integer >= 1",
                failure(MINIMAL + "cutoff_len: null\n").getMessage());
        assertTrue(failure(MINIMAL + "lora_dropout: 1.0\n").getMessage().contains("lora_dropout"));
        assertEquals("bad.yaml: line 2: key 'cutoff_len': 99999999999 is too large; expected an integer >= 1 of at most 2147483647",
                failure(MINIMAL + "cutoff_len: 99999999999\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'learning_rate': expected a number >= 0, got 'NaN'",
                failure(MINIMAL + "learning_rate: NaN\n").getMessage());
    }

    @Test
    void yamlSyntaxErrorsGiveLineAndColumn() throws IOException {
        JtuneException e = failure(MINIMAL + "lora_rank: [8\nstage: sft\n");
        assertTrue(e.getMessage().startsWith("bad.yaml: line 3, column 6: syntax error: while parsing a flow sequence; expected ','"),
                e.getMessage());
        e = failure(MINIMAL + "lora_rank: 8\nlora_rank: 16\n");
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("lora_rank"), e.getMessage());
        e = failure("- just\n- a list\n");
        assertTrue(e.getMessage().contains("must be a mapping"), e.getMessage());
    }

    @Test
    void overridesAreYamlScalarsAndWinOverTheFile() throws IOException {
        Path p = write("sft.yaml", LORA_SFT);
        JtuneConfig c = ConfigLoader.load(p, List.of("learning_rate=2e-5", "lora_target=q_proj, v_proj", "max_samples=null",
                "do_train=false", "lora_alpha=32", "lr_scheduler_kwargs={\"num_cycles\": 0.25}"));
        assertEquals(2e-5, c.training().learningRate());
        assertEquals(List.of("q_proj", "v_proj"), c.finetuning().loraTarget());
        assertNull(c.data().maxSamples());
        assertFalse(c.training().doTrain());
        assertEquals(32, c.finetuning().loraAlpha());
        assertEquals(0.25, ((Number) c.training().lrSchedulerKwargs().get("num_cycles")).doubleValue());
        assertTrue(c.origins().get("learning_rate").contains("override 'learning_rate=2e-5'"));
        assertEquals("Answer: briefly", ConfigLoader.load(p, List.of("default_system=Answer: briefly")).data().defaultSystem());

        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(p, List.of("learning_rate")));
        assertTrue(e.getMessage().contains("must look like key=value"), e.getMessage());
        e = assertThrows(JtuneException.class, () -> ConfigLoader.load(p, List.of("lerning_rate=1")));
        assertEquals(p + ": override 'lerning_rate=1': unknown key 'lerning_rate'; did you mean learning_rate?", e.getMessage());
    }

    @Test
    void evaluationStrategyIsReadAsEvalStrategy() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("old.yaml", MINIMAL + "evaluation_strategy: steps\ndataset: a\nval_size: 0.1\n"), List.of());
        assertEquals("steps", c.training().evalStrategy());
        assertEquals(List.of("evaluation_strategy is the old name of eval_strategy; read as eval_strategy"), c.warnings());
        assertTrue(failure(MINIMAL + "evaluation_strategy: steps\neval_strategy: 'no'\n").getMessage()
                .contains("evaluation_strategy and eval_strategy are the same key"));
    }

    @Test
    void yamlAliasesAreTheAnchorsValueAndMergeKeysMergeAsInPyYaml() throws Exception {
        JtuneConfig c = ConfigLoader.load(write("a.yaml", MINIMAL + """
                output_dir: &o saves/run1
                logging_dir: *o
                lora_target: &t [q_proj, v_proj]
                additional_target: *t
                lora_rank: &r 4
                lora_alpha: *r
                """), List.of());
        assertEquals("saves/run1", c.training().loggingDir());
        assertEquals(List.of("q_proj", "v_proj"), c.finetuning().loraTarget());
        assertEquals("saves/run1", c.training().outputDir());
        assertEquals(4, c.finetuning().loraAlpha());

        // a merge key inside a nested mapping: written keys win over merged ones
        var tree = YamlTree.read(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory(), """
                base: &b {a: 1, b: 2}
                derived:
                  <<: *b
                  b: 3
                """);
        assertEquals("{\"a\":1,\"b\":3}", tree.root().get("derived").toString());
        assertEquals(java.util.Map.of("base", 1, "derived", 2), tree.keyLines());
    }

    @Test
    void aliasExpansionIsBounded() throws IOException {
        StringBuilder y = new StringBuilder(MINIMAL + "lora_target: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= 9; i++) {
            y.append("l").append(i).append(": &a").append(i).append(" [");
            for (int k = 0; k < 10; k++) y.append(k == 0 ? "" : ", ").append("*a").append(i - 1);
            y.append("]\n");
        }
        long start = System.nanoTime();
        JtuneException e = failure(y.toString());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "refused fast");
        assertTrue(e.getMessage().startsWith("bad.yaml: line ") && e.getMessage().contains("once aliases are expanded"),
                e.getMessage());
        assertTrue(failure(MINIMAL + "output_dir: *nowhere\n").getMessage().contains("undefined alias *nowhere"));
    }

    @Test
    void aSecondYamlDocumentIsAnErrorAsInPyYaml() throws IOException {
        JtuneException e = failure(MINIMAL + "lora_rank: 8\n---\nlora_rank: 16\n");
        assertTrue(e.getMessage().startsWith("bad.yaml: line 3, column 1: expected a single document"), e.getMessage());
        // one document with explicit markers is fine
        assertEquals(8, ConfigLoader.load(write("one.yaml", "---\n" + MINIMAL + "lora_rank: 8\n...\n"), List.of())
                .finetuning().loraRank());
    }

    @Test
    void anOversizedConfigIsRefusedBeforeParsing() throws IOException {
        Path big = dir.resolve("big.yaml");
        try (var out = Files.newBufferedWriter(big)) {
            out.write(MINIMAL);
            String line = "# " + "x".repeat(1000) + "\n";
            for (int i = 0; i < 16 * 1024; i++) out.write(line);
        }
        long start = System.nanoTime();
        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(big, List.of()));
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "refused fast");
        assertTrue(e.getMessage().contains(big.toString()) && e.getMessage().contains("at most 1024 KiB"), e.getMessage());
    }

    @Test
    void anOverflowingIntegerIsReportedAsWritten() throws IOException {
        assertEquals("bad.yaml: line 2: key 'cutoff_len': 99999999999999999999 is too large; expected an integer >= 1 of at most 2147483647",
                failure(MINIMAL + "cutoff_len: 99999999999999999999\n").getMessage());
        assertEquals("bad.yaml: line 2: key 'cutoff_len': 1.0E30 is too large; expected an integer >= 1 of at most 2147483647",
                failure(MINIMAL + "cutoff_len: 1.0e+30\n").getMessage());
        JtuneException e = failure(MINIMAL, "max_steps=-99999999999999999999");
        assertTrue(e.getMessage().contains("-99999999999999999999 is too small"), e.getMessage());
    }

    @Test
    void noAsAnOverrideOrUnquotedIsTheChoiceNo() throws IOException {
        Path p = write("c.yaml", MINIMAL + "eval_strategy: no\n");
        JtuneConfig c = ConfigLoader.load(p, List.of("save_strategy=no"));
        assertEquals("no", c.training().saveStrategy());
        assertEquals("no", c.training().evalStrategy());
        assertEquals("no", ConfigLoader.load(p, List.of("save_strategy=false", "eval_strategy=off")).training().saveStrategy());
        JtuneException e = failure(MINIMAL, "save_strategy=yes");
        assertTrue(e.getMessage().contains("boolean true") && e.getMessage().contains("quoted"), e.getMessage());
    }

    @Test
    void temperatureZeroIsGreedyAsInTheApi() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("g.yaml", MINIMAL + "temperature: 0\n"), List.of());
        assertEquals(0.0, c.generating().temperature());
        assertFalse(io.jtune.infer.GenerationSettings.from(c.generating()).samples(), "greedy");
        assertTrue(failure(MINIMAL + "temperature: -0.1\n").getMessage().contains("out of range"));
    }

    @Test
    void jsonConfigsLoadToo() throws IOException {
        Path p = write("c.json", "{\"model_name_or_path\": \"m\", \"lora_rank\": 4, \"lora_target\": [\"q_proj\", \"k_proj\"]}");
        JtuneConfig c = ConfigLoader.load(p, List.of());
        assertEquals(4, c.finetuning().loraRank());
        assertEquals(8, c.finetuning().loraAlpha());
        assertEquals(List.of("q_proj", "k_proj"), c.finetuning().loraTarget());
        Path bad = write("b.json", "{\"model_name_or_path\": \"m\",\n \"lora_rank\": }");
        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(bad, List.of()));
        assertTrue(e.getMessage().startsWith(bad + ": line 2, column"), e.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8IsOneClearError() throws IOException {
        Path p = dir.resolve("latin1.yaml");
        Files.write(p, new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});
        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(p, List.of()));
        assertEquals("config file " + p + " is not UTF-8 text", e.getMessage());
    }

    @Test
    void configsCanBeBuiltFromJavaMapsWithTheSameChecks() {
        JtuneConfig c = ConfigLoader.fromMap("app", java.util.Map.of("model_name_or_path", "m", "lora_rank", 16), List.of("stage=pt"));
        assertEquals(32, c.finetuning().loraAlpha());
        assertTrue(c.data().packing());
        JtuneException e = assertThrows(JtuneException.class,
                () -> ConfigLoader.fromMap("app", java.util.Map.of("model_name_or_path", "m", "lora_rnk", 16), List.of()));
        assertEquals("app: unknown key 'lora_rnk'; did you mean lora_rank?", e.getMessage());
    }

    @Test
    void aMissingFileIsOneClearError() {
        JtuneException e = assertThrows(JtuneException.class, () -> ConfigLoader.load(dir.resolve("nope.yaml"), List.of()));
        assertEquals("config file not found: " + dir.resolve("nope.yaml"), e.getMessage());
    }

    @Test
    void reportToKeepsTensorboardAndWarnsForOthers() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("r.yaml", MINIMAL + "report_to: wandb,tensorboard\n"), List.of());
        assertEquals(List.of("tensorboard"), c.training().reportTo());
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).startsWith("report_to = wandb is ignored"), c.warnings().get(0));
        c = ConfigLoader.load(write("r2.yaml", MINIMAL + "report_to: all\n"), List.of());
        assertEquals(List.of("tensorboard"), c.training().reportTo());
    }

    @Test
    void derivedDefaultsFollowLlamaFactoryAndTransformers() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("pt.yaml", MINIMAL + """
                stage: pt
                dataset: c4_demo
                val_size: 0.1
                eval_strategy: steps
                logging_steps: 5
                """), List.of());
        assertTrue(c.data().packing());                  // pt packs by default
        assertEquals(2047, c.data().packedCutoffLen());  // LLaMA-Factory packs to cutoff_len - 1
        assertTrue(c.training().doEval());               // implied by eval_strategy
        assertEquals(5.0, c.training().evalSteps());     // eval_steps defaults to logging_steps
        c = ConfigLoader.load(write("n.yaml", MINIMAL + "neat_packing: true\n"), List.of());
        assertTrue(c.data().packing());
    }

    @Test
    void crossKeyRulesNameTheKeyToChange() throws IOException {
        assertEquals("bad.yaml: key 'output_dir': is required when do_train is true: the folder for checkpoints, weights and logs",
                failure(MINIMAL + "do_train: true\ndataset: a\n").getMessage());
        assertTrue(failure(MINIMAL + "dataset: a\neval_dataset: b\nval_size: 0.1\n").getMessage()
                .contains("key 'val_size': cannot be used together with eval_dataset"));
        assertTrue(failure(MINIMAL + "train_on_prompt: true\nmask_history: true\n").getMessage().contains("key 'mask_history'"));
        assertTrue(failure(MINIMAL + "finetuning_type: full\nadapter_name_or_path: a\n").getMessage().contains("key 'adapter_name_or_path'"));
        assertTrue(failure(MINIMAL + "do_eval: true\n").getMessage().contains("evaluation needs eval_dataset or val_size > 0"));
        assertTrue(failure(MINIMAL + "do_train: true\ndataset: a\noutput_dir: o\nnum_train_epochs: 0\n").getMessage()
                .contains("key 'num_train_epochs': 0 epochs would train nothing"));
        assertTrue(failure(MINIMAL + "max_steps: 0\n").getMessage().contains("key 'max_steps': 0 would train nothing"));
        assertEquals("bad.yaml: key 'model_name_or_path': is required: the path of a Hugging Face model directory",
                failure("stage: sft\n").getMessage());
        assertTrue(failure(MINIMAL + "lr_scheduler_type: cosine_with_min_lr\n").getMessage()
                .contains("cosine_with_min_lr needs min_lr or min_lr_rate"));
        assertTrue(failure(MINIMAL + "lr_scheduler_kwargs: {num_cycle: 1}\n").getMessage()
                .contains("'num_cycle' is not an argument of the linear schedule"));
        assertTrue(failure(MINIMAL + "lr_scheduler_type: polynomial\nlr_scheduler_kwargs: {lr_end: 1.0}\n").getMessage()
                .contains("lr_end (1.0) must be smaller than learning_rate"));
        assertTrue(failure(MINIMAL + "lr_scheduler_type: inverse_sqrt\nlr_scheduler_kwargs: {timescale: soon}\n").getMessage()
                .contains("timescale must be a number"));
    }

    @Test
    void minLrCanComeAsAJsonString() throws IOException {
        JtuneConfig c = ConfigLoader.load(write("m.yaml", MINIMAL + """
                lr_scheduler_type: cosine_with_min_lr
                lr_scheduler_kwargs: '{"min_lr": "1e-6"}'
                learning_rate: 1.0e-4
                """), List.of());
        assertEquals(1e-6, c.training().lrSchedulerKwargs().get("min_lr")); // a number, as transformers converts it
    }

    @Test
    void everyKeyIsDefinedOnceWithAHelpTextAndAValidDefault() {
        for (ConfigKey k : ConfigKeys.all()) {
            assertFalse(k.help().isBlank(), k.name());
            if (k.type() == KeyType.CHOICE && k.defaultValue() != null) {
                assertTrue(k.choices().contains(k.defaultValue()), k.name());
            }
        }
        assertTrue(ConfigKeys.all().size() > 200, "LLaMA-Factory's popular keys are all defined: " + ConfigKeys.all().size());
    }

    @Test
    void editDistanceCountsEdits() {
        assertEquals(0, EditDistance.levenshtein("lora", "lora"));
        assertEquals(2, EditDistance.levenshtein("loar", "lora"));
        assertEquals(3, EditDistance.levenshtein("kitten", "sitting"));
        assertEquals(4, EditDistance.levenshtein("", "full"));
    }
}
