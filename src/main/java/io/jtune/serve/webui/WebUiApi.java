package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.jtune.JtuneException;
import io.jtune.config.ConfigKeys;
import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** The JSON API behind the page's tabs; each handler checks what it is sent before acting on it. */
final class WebUiApi implements AutoCloseable {
    private final PathGuard paths;
    private final AtomicReference<WebUiJob> job = new AtomicReference<>();
    private final ChatSession chat = new ChatSession();

    WebUiApi(PathGuard paths) {
        this.paths = paths;
    }

    void install(RoutesConfig routes) {
        routes.get("/api/forms", this::forms);
        routes.get("/api/datasets", this::datasets);
        routes.get("/api/datasets/preview", this::datasetPreview);
        routes.post("/api/preview", this::preview);
        routes.post("/api/config/save", this::saveConfig);
        routes.post("/api/config/load", this::loadConfig);
        routes.post("/api/jobs", ctx -> {
            JsonNode body = WebUiServer.body(ctx);
            startJob(ctx, form(body), body);
        });
        routes.post("/api/jobs/abort", this::abortJob);
        routes.get("/api/jobs/current", this::currentJob);
        routes.get("/api/outputs", this::outputs);
        routes.get("/api/chat", ctx -> ctx.json(chat.toJson()));
        routes.post("/api/chat/load", this::loadChat);
        routes.post("/api/chat/unload", ctx -> {
            chat.unload();
            ctx.json(chat.toJson());
        });
        routes.post("/api/chat/adapters/add", this::addChatAdapter);
        routes.post("/api/chat/adapters/remove", ctx -> {
            chat.removeAdapter(WebUiServer.body(ctx).path("name").asText(""));
            ctx.json(chat.toJson());
        });
        routes.post("/api/chat/send", this::sendChat);
        routes.post("/api/export", ctx -> startJob(ctx, WebUiForms.EXPORT, WebUiServer.body(ctx)));
        routes.post("/api/predict", ctx -> startJob(ctx, WebUiForms.PREDICT, WebUiServer.body(ctx)));
    }

    private void forms(Context ctx) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        ObjectNode forms = out.putObject("forms");
        for (ConfigForm f : WebUiForms.ALL) forms.set(f.id(), f.describe());
        out.set("templates", Json.MAPPER.valueToTree(new java.util.TreeSet<>(io.jtune.data.template.Templates.all().keySet())));
        out.put("work_dir", paths.workDir().toString());
        ArrayNode roots = out.putArray("roots");
        paths.roots().forEach(r -> roots.add(r.toString()));
        ctx.json(out);
    }

    private Path datasetDir(Context ctx) {
        String dir = ctx.queryParam("dataset_dir");
        if (dir == null || dir.isBlank()) dir = ConfigKeys.get("dataset_dir").defaultValue().toString();
        try {
            return paths.existingDirectory(dir);
        } catch (IllegalArgumentException e) {
            throw FieldErrors.of("dataset_dir", e.getMessage());
        }
    }

    private void datasets(Context ctx) {
        Path dir = datasetDir(ctx);
        try {
            ctx.json(ScopedValue.where(io.jtune.data.source.DataFiles.FILE_CHECK, paths.dataFileCheck())
                    .call(() -> DatasetPreview.names(dir)));
        } catch (JtuneException e) {
            throw FieldErrors.of("dataset_dir", e.getMessage());
        }
    }

    private void datasetPreview(Context ctx) {
        String name = ctx.queryParam("name");
        if (name == null || name.isBlank()) throw FieldErrors.of("dataset", "required");
        Path dir = datasetDir(ctx);
        ctx.json(ScopedValue.where(io.jtune.data.source.DataFiles.FILE_CHECK, paths.dataFileCheck())
                .call(() -> DatasetPreview.preview(dir, name, paths)));
    }

    /** The values of a request's "values" object, as plain Java values. */
    private static Map<String, Object> values(JsonNode body) {
        JsonNode v = body.get("values");
        if (v == null || !v.isObject()) throw new JtuneException("the request needs a \"values\" object");
        Map<String, Object> out = new LinkedHashMap<>();
        v.fields().forEachRemaining(e -> out.put(e.getKey(), Json.MAPPER.convertValue(e.getValue(), Object.class)));
        return out;
    }

    private static ConfigForm form(JsonNode body) {
        return WebUiForms.byId(body.path("form").asText("train"));
    }

    private void preview(Context ctx) {
        JsonNode body = WebUiServer.body(ctx);
        ConfigForm form = form(body);
        ConfigForm.Checked checked = form.check(values(body), paths);
        String configPath = body.path("config_path").asText("");
        Path file = configFile(configPath.isBlank() ? form.id() + "_config.yaml" : configPath);
        ctx.json(Map.of("yaml", ConfigYaml.of(checked.allValues()),
                "command", WebUiForms.command(form) + " " + ConfigYaml.shellQuote(paths.workDir().relativize(file).toString()),
                "warnings", checked.config().warnings()));
    }

    /** A config file the user names: under the roots, and YAML (what `jtune train` reads). */
    private Path configFile(String text) {
        Path p;
        try {
            p = paths.resolve(text);
        } catch (IllegalArgumentException e) {
            throw FieldErrors.of("config_path", e.getMessage());
        }
        String name = p.getFileName().toString();
        if (!name.endsWith(".yaml") && !name.endsWith(".yml")) {
            throw FieldErrors.of("config_path", "a config file name ends in .yaml or .yml");
        }
        return p;
    }

    private void saveConfig(Context ctx) throws IOException {
        JsonNode body = WebUiServer.body(ctx);
        Path file = configFile(body.path("config_path").asText(""));
        ConfigForm.Checked checked = form(body).check(values(body), paths);
        // Never replace a file (a tracked YAML, someone else's config) unless the page says so explicitly;
        // without that, the file is created only if no file (or link) of that name exists, in one step.
        String yaml = ConfigYaml.of(checked.allValues());
        if (body.path("overwrite").asBoolean(false)) {
            AtomicFiles.writeString(file, yaml);
        } else {
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, yaml, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw FieldErrors.of("config_path", body.path("config_path").asText().trim()
                        + " exists: tick \"overwrite\" to replace it, or choose another name");
            }
        }
        ctx.json(Map.of("saved", file.toString()));
    }

    private void loadConfig(Context ctx) throws IOException {
        JsonNode body = WebUiServer.body(ctx);
        Path file = configFile(body.path("config_path").asText(""));
        if (!Files.isRegularFile(file)) throw FieldErrors.of("config_path", "no such file: " + body.path("config_path").asText());
        ConfigForm form = form(body);
        io.jtune.config.JtuneConfig config = io.jtune.config.ConfigLoader.load(file, List.of());
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (String key : config.origins().keySet()) {
            if (form.keys().contains(key)) {
                values.put(key, config.values().get(key));
            } else if (!key.equals("do_train")) {
                skipped.add(key);
            }
        }
        ctx.json(Map.of("values", values, "not_in_form", skipped));
    }

    /** Checks the form, then runs its job unless another one is still running (one at a time). */
    private void startJob(Context ctx, ConfigForm form, JsonNode body) {
        if (form == WebUiForms.CHAT) throw new JtuneException("only train, evaluate, predict and export run as jobs");
        ConfigForm.Checked checked = form.check(values(body), paths);
        WebUiJob next = newJob(form, checked);
        if (next instanceof BackgroundJob b) b.confineDataFiles(paths.dataFileCheck());
        synchronized (job) {
            WebUiJob current = job.get();
            if (current != null && current.isActive()) {
                ctx.status(409).json(Map.of("error", "a job is already running (" + current.kind() + "); jobs run one at a time: "
                        + "abort it or wait for it to end"));
                return;
            }
            job.set(next);
            next.start();
            ctx.json(next.toJson());
        }
    }

    /** The job a checked form stands for; what can be checked before it runs is checked here, field by field. */
    private WebUiJob newJob(ConfigForm form, ConfigForm.Checked checked) {
        String yaml = ConfigYaml.of(checked.allValues());
        if (form == WebUiForms.EXPORT) return WebUiTasks.export(checked, yaml);
        if (form != WebUiForms.TRAIN && !checked.userValues().containsKey("eval_dataset")) {
            throw FieldErrors.of("eval_dataset", "required: the dataset to " + (form == WebUiForms.PREDICT ? "predict" : "evaluate") + " on");
        }
        if (form == WebUiForms.PREDICT) return WebUiTasks.predict(checked, yaml);
        io.jtune.config.JtuneConfig config = form == WebUiForms.EVALUATE
                ? WebUiTasks.evaluatedOn(checked.userValues().get("eval_dataset"), checked.allValues())
                : checked.config();
        return new TrainingJob(form.id(), config, checked.typedValues(), yaml, System::nanoTime);
    }

    private void abortJob(Context ctx) {
        WebUiJob current = job.get();
        if (current == null || !current.isActive()) throw new JtuneException("no job is running");
        current.abort();
        ctx.json(current.toJson());
    }

    private void currentJob(Context ctx) {
        WebUiJob current = job.get();
        ctx.json(current == null ? Map.of("state", "none") : current.toJson());
    }

    /** Folders under the roots that hold a LoRA adapter (training outputs and their checkpoints), newest first. */
    private void outputs(Context ctx) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path root : paths.roots()) {
            if (!Files.isDirectory(root)) continue;
            // a file that vanishes or cannot be read while the folders are walked (a browser profile, a
            // checkpoint being pruned) is skipped, not a failed listing
            Files.walkFileTree(root, java.util.Set.of(), 4, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) {
                    if (a.isRegularFile() && p.getFileName().toString().equals("adapter_config.json")) found.add(p.getParent());
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        }
        found.sort((a, b) -> Long.compare(modified(b), modified(a)));
        ArrayNode out = Json.MAPPER.createArrayNode();
        found.stream().distinct().forEach(p -> out.add(relative(p)));
        ctx.json(Map.of("adapters", out));
    }

    /** A folder as the forms take it: relative to the working directory when under it, else absolute. */
    private String relative(Path p) {
        if (!p.startsWith(paths.workDir())) return p.toString();
        String r = paths.workDir().relativize(p).toString();
        return r.isEmpty() ? "." : r;
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private void loadChat(Context ctx) {
        JsonNode body = WebUiServer.body(ctx);
        chat.load(WebUiForms.CHAT.check(values(body), paths));
        ctx.json(chat.toJson());
    }

    /** {"path", "name"}: serves one more adapter over the chat's base model (a LoRA output folder under the roots). */
    private void addChatAdapter(Context ctx) {
        JsonNode body = WebUiServer.body(ctx);
        String text = body.path("path").asText("").trim();
        if (text.isEmpty()) throw FieldErrors.of("adapter_path", "required: an output folder of a LoRA training");
        Path dir;
        try {
            dir = paths.existingDirectory(text);
        } catch (IllegalArgumentException e) {
            throw FieldErrors.of("adapter_path", e.getMessage());
        }
        if (!Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            throw FieldErrors.of("adapter_path", "no adapter_config.json in " + text + ": give an output folder of a LoRA training");
        }
        chat.addAdapter(body.path("name").asText(""), dir);
        ctx.json(chat.toJson());
    }

    /**
     * Streams the reply as NDJSON: {"text": piece} lines as they come, then one line with the finish
     * reason and token counts (or {"error": ...}). A client that goes away cancels the generation.
     */
    private void sendChat(Context ctx) throws IOException {
        JsonNode body = WebUiServer.body(ctx);
        ChatRequest request = ChatInput.request(body, new Cancellation());
        // the served adapter that answers; "" for the base model; none: the adapter loaded with the model
        String adapter = body.hasNonNull("adapter") ? body.get("adapter").asText() : null;
        chat.checkAdapter(adapter);
        ctx.status(200).contentType("application/x-ndjson; charset=utf-8").header("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        ChatResult result;
        try {
            result = chat.generate(adapter, request, piece -> writeLine(out, Map.of("text", piece), request.cancellation()));
        } catch (JtuneException e) {
            writeLine(out, Map.of("error", e.getMessage()), request.cancellation());
            return;
        }
        writeLine(out, Map.of("done", true, "finish_reason", result.finishReason().name().toLowerCase(java.util.Locale.ROOT),
                "prompt_tokens", result.promptTokens(), "completion_tokens", result.completionTokens()), request.cancellation());
    }

    private static void writeLine(OutputStream out, Object value, Cancellation cancellation) {
        try {
            out.write(Json.MAPPER.writeValueAsBytes(value));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            cancellation.cancel(); // the page went away: stop generating for nobody
        }
    }

    /** The current job, for tests and shutdown. */
    WebUiJob job() {
        return job.get();
    }

    @Override
    public void close() {
        WebUiJob current = job.get();
        if (current != null && current.isActive()) {
            try {
                current.abort();
            } catch (JtuneException cannotStop) {
                // an export ends by itself: wait for it below
            }
            try {
                current.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        chat.close();
    }
}
