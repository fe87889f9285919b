package io.jtune.model;

import io.jtune.JtuneException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides which checkpoint tensors train fully and which linear layers get a LoRA adapter, with
 * the semantics of LLaMA-Factory (model/adapter.py) and PEFT:
 * <ul>
 *   <li>full: everything trains.</li>
 *   <li>freeze: layers [L−n, L) for +n or [0, n) for −n; within them the sub-modules named by
 *       freeze_trainable_modules ("all" = every one); freeze_extra_modules adds modules outside the
 *       layers. A parameter trains when its name contains ".{layer}.{module}" or an extra module's
 *       name, the same substring test LLaMA-Factory applies.</li>
 *   <li>lora: base weights frozen; adapters on the linear layers lora_target names ("all" = every
 *       linear layer but lm_head); additional_target modules train fully (PEFT's modules_to_save).
 *       A target matches a module whose path equals it or ends with "." + target, as in PEFT.</li>
 * </ul>
 */
final class TrainableSelection {
    private static final Pattern LAYER_INDEX = Pattern.compile("\\.\\d+\\.");

    private final FinetuneSpec spec;
    private final List<String> linearModules;   // the family's layer linear modules, e.g. q_proj
    private final Set<String> fullyTrained = new HashSet<>();
    private final Set<String> loraModules = new HashSet<>();

    private TrainableSelection(FinetuneSpec spec, List<String> linearModules) {
        this.spec = spec;
        this.linearModules = List.copyOf(linearModules);
    }

    boolean trains(String hfName) {
        return fullyTrained.contains(hfName);
    }

    boolean hasLora(String modulePath) {
        return loraModules.contains(modulePath);
    }

    boolean isLora() {
        return spec.type() == FinetuneSpec.Type.LORA;
    }

    /** The name a trainable tensor is saved under: PEFT-prefixed in LoRA mode, plain HF otherwise. */
    String savedName(String hfName) {
        return isLora() ? "base_model.model." + hfName : hfName;
    }

    /**
     * @param paramNames the model's parameter names as torch's named_parameters lists them
     *                   (a tied lm_head is not listed separately)
     * @param modulePaths every module path holding parameters ("model.layers.0.self_attn.q_proj", "model.norm")
     * @param linearModules the short names of the layers' linear modules, what lora_target may name
     */
    static TrainableSelection resolve(FinetuneSpec spec, int numLayers, List<String> paramNames, List<String> modulePaths,
                                      List<String> linearModules) {
        TrainableSelection s = new TrainableSelection(spec, linearModules);
        switch (spec.type()) {
            case FULL -> s.fullyTrained.addAll(paramNames);
            case FREEZE -> s.resolveFreeze(spec.freeze(), numLayers, paramNames);
            case LORA -> s.resolveLora(spec.lora(), paramNames, modulePaths);
        }
        if (s.fullyTrained.isEmpty() && s.loraModules.isEmpty()) {
            throw new JtuneException("the fine-tuning settings select no trainable parameter");
        }
        return s;
    }

    private void resolveFreeze(FinetuneSpec.Freeze f, int numLayers, List<String> paramNames) {
        int n = f.trainableLayers();
        List<Integer> layerIds = new ArrayList<>();
        if (n > 0) for (int i = Math.max(0, numLayers - n); i < numLayers; i++) layerIds.add(i);
        else for (int i = 0; i < Math.min(-n, numLayers); i++) layerIds.add(i);

        Set<String> hiddenModules = new TreeSet<>(), otherModules = new TreeSet<>();
        for (String name : paramNames) {
            if (name.contains(".0.")) hiddenModules.add(firstComponentAfter(name, ".0."));
            else if (name.contains(".1.")) hiddenModules.add(firstComponentAfter(name, ".1."));
            if (!LAYER_INDEX.matcher(name).find()) {
                String[] parts = name.split("\\.");
                otherModules.add(parts[parts.length - 2]);
            }
        }
        List<String> patterns = new ArrayList<>();
        for (String module : f.trainableModules()) {
            if (!module.equals("all") && !hiddenModules.contains(module)) {
                throw new JtuneException("freeze_trainable_modules: module '" + module
                        + "' is not found; choose from all, " + String.join(", ", hiddenModules));
            }
            for (int id : layerIds) patterns.add("." + id + "." + (module.equals("all") ? "" : module));
        }
        for (String module : f.extraModules()) {
            if (!otherModules.contains(module)) {
                throw new JtuneException("freeze_extra_modules: module '" + module
                        + "' is not found; choose from " + String.join(", ", otherModules));
            }
            patterns.add(module);
        }
        for (String name : paramNames) {
            for (String pattern : patterns) {
                if (name.contains(pattern)) {
                    fullyTrained.add(name);
                    break;
                }
            }
        }
    }

    private static String firstComponentAfter(String name, String marker) {
        String tail = name.substring(name.lastIndexOf(marker) + marker.length());
        int dot = tail.indexOf('.');
        return dot < 0 ? tail : tail.substring(0, dot);
    }

    private void resolveLora(FinetuneSpec.Lora lora, List<String> paramNames, List<String> modulePaths) {
        if (lora.rank() < 1) throw new JtuneException("lora_rank must be >= 1, was " + lora.rank());
        if (lora.dropout() < 0 || lora.dropout() >= 1) {
            throw new JtuneException("lora_dropout must be in [0, 1), was " + lora.dropout());
        }
        List<String> targets = lora.targets().isEmpty() ? List.of("all") : lora.targets();
        Set<String> linear = new LinkedHashSet<>();
        for (String path : modulePaths) {
            if (linearModules.contains(path.substring(path.lastIndexOf('.') + 1))) linear.add(path);
        }
        for (String target : targets) {
            if (target.equals("all")) {
                loraModules.addAll(linear);
                continue;
            }
            boolean found = false;
            for (String path : linear) {
                if (matches(path, target)) {
                    loraModules.add(path);
                    found = true;
                }
            }
            if (!found) {
                throw new JtuneException("lora_target: module '" + target + "' is not a linear layer of this model; "
                        + "choose from all, " + String.join(", ", linearModules));
            }
        }
        for (String target : lora.additionalTargets()) {
            boolean found = false;
            for (String path : modulePaths) {
                if (!matches(path, target)) continue;
                if (loraModules.contains(path)) {
                    throw new JtuneException("additional_target: module '" + target + "' also has a LoRA adapter (lora_target)");
                }
                for (String name : paramNames) {
                    if (name.startsWith(path + ".") && name.indexOf('.', path.length() + 1) < 0) fullyTrained.add(name);
                }
                found = true;
            }
            if (!found) {
                Set<String> shortNames = new TreeSet<>();
                for (String path : modulePaths) shortNames.add(path.substring(path.lastIndexOf('.') + 1));
                throw new JtuneException("additional_target: module '" + target + "' is not found; choose from "
                        + String.join(", ", shortNames));
            }
        }
    }

    private static boolean matches(String path, String target) {
        return path.equals(target) || path.endsWith("." + target);
    }
}
