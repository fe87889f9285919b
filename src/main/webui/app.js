// The page's logic: builds the forms from the key definitions the server sends (/api/forms),
// sends what the user typed to the server (which checks everything), shows each error next to
// its field, polls the running job, and streams chat replies.
"use strict";

const token = new URLSearchParams(location.search).get("token") || sessionStorage.getItem("jtune.token");
if (token) sessionStorage.setItem("jtune.token", token);

let FORMS = null;          // the server's form descriptions
let lastJob = null;        // the last job status, redrawn when the language changes
let conversation = [];     // chat turns: {user: text, answers: [{adapter, text}]}; adapter "" is the base model
let chatState = null;

/**
 * The keys chosen once in the top bar for every tab (LlamaBoard's model row), not in the tabs' forms;
 * a tab sends those its form has (the Export tab merges into the full-precision weights: no quantization).
 */
const SHARED = ["model_name_or_path", "adapter_name_or_path", "template", "quantization_bit", "quantization_type", "double_quantization"];

/** The 4-bit settings matter with 4 bits only, as in LlamaBoard: hidden (and not sent) otherwise. */
const QUANT_KEYS = {
  quantization_type: (bits) => bits === "4",
  double_quantization: (bits) => bits === "4"
};

/** The stages whose prediction writes something: sft generates answers, rm scores pairs (the label says which). */
const PREDICT_LABEL = {sft: "eval.predict", rm: "eval.predictRm"};

const SECTIONS = {
  model: ["default_system"],
  method: ["finetuning_type", "stage"],
  data: ["dataset_dir", "dataset", "eval_dataset", "cutoff_len", "max_samples", "val_size"],
  hyper: ["learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "per_device_eval_batch_size",
    "gradient_accumulation_steps", "lr_scheduler_type", "warmup_steps", "max_grad_norm", "logging_steps", "save_steps", "seed"],
  adapter: ["lora_rank", "lora_alpha", "lora_dropout", "lora_target", "use_rslora", "use_dora", "pissa_init", "pissa_iter",
    "pissa_convert", "loraplus_lr_ratio", "freeze_trainable_layers"],
  rlhf: ["pref_beta", "pref_ftx", "pref_loss", "dpo_label_smoothing", "simpo_gamma", "ld_alpha",
    "kto_chosen_weight", "kto_rejected_weight"],
  rl: ["reward_model", "reward_model_type", "ppo_epochs", "ppo_buffer_size", "ppo_target", "ppo_score_norm", "ppo_whiten_rewards",
    "reward_funcs", "reward_weights", "num_generations", "max_completion_length", "beta", "epsilon", "loss_type", "scale_rewards",
    "reward_answer_pattern", "reward_format_pattern"],
  generating: ["do_sample", "temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty"],
  output: ["output_dir", "overwrite_output_dir", "resume_from_checkpoint", "plot_loss"],
  export: ["export_dir", "export_size", "export_gguf", "export_quantization_bit", "export_device", "export_legacy_format",
    "export_hub_model_id"]
};

async function api(method, path, body) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers["X-Jtune-Token"] = token;
  const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  try { data = await res.json(); } catch (e) { data = {error: res.status + " " + res.statusText}; }
  return {ok: res.ok, status: res.status, data};
}

const $ = sel => document.querySelector(sel);

const PPO = (stage) => stage === "ppo", GRPO = (stage) => stage === "grpo";
const ONLINE = (stage) => stage === "ppo" || stage === "grpo";

/**
 * Which Train-form keys a stage reads (the rest of the preference and online boxes is hidden, and not sent):
 * dpo reads beta, the SFT weight, the loss type and LD-DPO's alpha, plus label smoothing for the
 * sigmoid loss and gamma for SimPO; kto reads beta and its two weights; ppo its reward model and PPO
 * settings, grpo its reward functions and GRPO settings, both the sampling of their rollouts (which the
 * Evaluate tab always shows: prediction samples with it); pt, sft and rm none of them.
 */
const STAGE_KEYS = {
  reward_model: PPO, reward_model_type: PPO, ppo_epochs: PPO, ppo_buffer_size: PPO, ppo_target: PPO, ppo_score_norm: PPO,
  ppo_whiten_rewards: PPO,
  reward_funcs: GRPO, reward_weights: GRPO, num_generations: GRPO, max_completion_length: GRPO, beta: GRPO, epsilon: GRPO,
  loss_type: GRPO, scale_rewards: GRPO, reward_answer_pattern: GRPO, reward_format_pattern: GRPO,
  temperature: (stage, loss, formId) => formId !== "train" || ONLINE(stage),
  top_p: (stage, loss, formId) => formId !== "train" || ONLINE(stage),
  top_k: (stage, loss, formId) => formId !== "train" || ONLINE(stage),
  max_new_tokens: (stage, loss, formId) => formId !== "train" || ONLINE(stage),
  pref_beta: (stage) => stage === "dpo" || stage === "kto",
  pref_ftx: (stage) => stage === "dpo",
  pref_loss: (stage) => stage === "dpo",
  dpo_label_smoothing: (stage, loss) => stage === "dpo" && loss === "sigmoid",
  simpo_gamma: (stage, loss) => stage === "dpo" && loss === "simpo",
  ld_alpha: (stage) => stage === "dpo",
  kto_chosen_weight: (stage) => stage === "kto",
  kto_rejected_weight: (stage) => stage === "kto"
};

// ---------- forms built from the key registry ----------

function defaultText(field) {
  const d = field.default;
  if (d === null || d === undefined) return "";
  if (Array.isArray(d)) return d.join(",");
  return String(d);
}

function makeInput(formId, f) {
  const id = formId + "-" + f.name;
  let input;
  if (f.type === "bool") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = f.default === true;
  } else if (f.offered) {   // a number key the parser takes a few values of (quantization_bit: none, 8, 4)
    input = document.createElement("select");
    for (const v of [""].concat(f.offered.map(String))) {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = v === "" ? "none" : v;
      input.appendChild(o);
    }
    input.value = defaultText(f);
  } else if (f.type === "choice") {
    input = document.createElement("select");
    if (f.default === null) {   // optional (export_gguf): "none" must stay choosable
      const none = document.createElement("option");
      none.value = "";
      none.textContent = "—";
      input.appendChild(none);
    }
    for (const c of f.choices) {
      const o = document.createElement("option");
      o.value = c;
      o.textContent = f.supported_choices.includes(c) ? c : c + " (" + t("notSupported") + ")";
      o.disabled = !f.supported_choices.includes(c);
      input.appendChild(o);
    }
    input.value = defaultText(f);
  } else if (f.name === "dataset" || f.name === "eval_dataset") {
    input = document.createElement("select");
    input.multiple = true;
  } else {
    input = document.createElement("input");
    input.type = "text";
    input.value = defaultText(f);
    if (f.type === "int" || f.type === "float") input.inputMode = "decimal";
    if (f.name === "template") input.setAttribute("list", "templates");
    if (f.name === "adapter_name_or_path") input.setAttribute("list", "adapters");
  }
  input.id = id;
  input.name = f.name;
  input.dataset.default = defaultText(f);
  return input;
}

/** One labelled input of a form: the label (translated), the key's name under it, the input, its error box. */
function makeField(formId, f) {
  const div = document.createElement("div");
  div.className = "field";
  div.dataset.field = f.name;
  const label = document.createElement("label");
  label.htmlFor = formId + "-" + f.name;
  label.title = f.help;
  const text = document.createElement("span");
  text.className = "text";
  text.dataset.i18n = "f." + f.name;
  const key = document.createElement("span");
  key.className = "key";
  key.textContent = f.name;
  label.append(text, key);
  const input = makeInput(formId, f);
  input.title = f.help;
  const err = document.createElement("div");
  err.className = "err";
  err.dataset.err = f.name;
  div.append(label, input, err);
  return div;
}

/** A tab's form, by section; the shared keys are in the top bar instead. */
function buildForm(formId) {
  const desc = FORMS.forms[formId];
  const form = document.getElementById("form-" + formId);
  form.innerHTML = "";
  const byName = Object.fromEntries(desc.fields.map(f => [f.name, f]));
  for (const [section, names] of Object.entries(SECTIONS)) {
    const fields = names.filter(n => byName[n] && !SHARED.includes(n));
    if (fields.length === 0) continue;
    const h = document.createElement("h2");
    h.dataset.i18n = "section." + section;
    h.dataset.section = section;
    form.appendChild(h);
    for (const name of fields) {
      const div = makeField(formId, byName[name]);
      div.dataset.section = section;
      if (name === "dataset") {
        const b = document.createElement("button");
        b.type = "button";
        b.dataset.i18n = "train.previewBtn";
        b.addEventListener("click", () => previewDataset(formId));
        div.appendChild(b);
      }
      form.appendChild(div);
    }
  }
  const dirInput = form.querySelector("[name=dataset_dir]");
  if (dirInput) dirInput.addEventListener("change", () => loadDatasets(formId));
  for (const name of ["stage", "pref_loss"]) {
    const input = form.querySelector("[name=" + name + "]");
    if (input) input.addEventListener("change", () => showStageFields(formId));
  }
  showStageFields(formId);
}

/** The top bar: model, adapter, template and quantization, described by the Chat form (which has them all). */
function buildTopBar() {
  const form = $("#form-top");
  form.innerHTML = "";
  for (const f of FORMS.forms.chat.fields.filter(x => SHARED.includes(x.name))) form.appendChild(makeField("top", f));
  $("#top-adapter_name_or_path").addEventListener("focus", refreshAdapters);
  $("#top-quantization_bit").addEventListener("change", showQuantizationFields);
  showQuantizationFields();
}

/** Shows the 4-bit type and double quantization with 4 bits only. */
function showQuantizationFields() {
  const bits = $("#top-quantization_bit").value;
  for (const [name, shown] of Object.entries(QUANT_KEYS)) {
    $("#form-top .field[data-field=" + name + "]").hidden = !shown(bits);
  }
}

/** Shows the preference keys the chosen stage (and loss type) reads, hides the others and their empty section. */
function showStageFields(formId) {
  const form = document.getElementById("form-" + formId);
  const stage = form.querySelector("[name=stage]"), loss = form.querySelector("[name=pref_loss]");
  for (const [name, reads] of Object.entries(STAGE_KEYS)) {
    const div = form.querySelector(".field[data-field=" + name + "]");
    if (div) div.hidden = !(stage && reads(stage.value, loss ? loss.value : "sigmoid", formId));
  }
  for (const h of form.querySelectorAll("h2[data-section]")) {
    h.hidden = !form.querySelector(".field[data-section=" + h.dataset.section + "]:not([hidden])");
  }
  // rm and dpo train (and are evaluated) on ranking datasets (pairs), the other stages on the others
  const pairwise = !!stage && (stage.value === "rm" || stage.value === "dpo");
  for (const o of form.querySelectorAll("select[multiple] option")) {
    o.hidden = (o.dataset.ranking === "true") !== pairwise;
    if (o.hidden) o.selected = false;
  }
  if (formId === "evaluate") showPredictToggle(stage.value);
}

/** Predict as the stage does (sft generates, rm scores pairs); the other stages do not predict: the box is off. */
function showPredictToggle(stage) {
  const key = PREDICT_LABEL[stage] || "eval.noPredict";
  const box = $("#predict"), label = $("#predict-label");
  box.disabled = !PREDICT_LABEL[stage];
  if (box.disabled) box.checked = false;
  label.dataset.i18n = key;
  label.textContent = t(key);
}

/**
 * The values a form sends: only fields that differ from the key's default (and every dataset pick),
 * with the top bar's model, adapter and template where the form has them; hidden fields are not sent.
 */
function formValues(formId) {
  const values = {};
  const names = FORMS.forms[formId].fields.map(f => f.name);
  const inputs = Array.from(document.getElementById("form-" + formId).querySelectorAll("input, select"))
    .concat(Array.from($("#form-top").querySelectorAll("input, select")).filter(i => names.includes(i.name)));
  for (const input of inputs) {
    if (input.closest(".field").hidden) continue;
    let v;
    if (input.type === "checkbox") v = input.checked;
    else if (input.multiple) v = Array.from(input.selectedOptions).map(o => o.value).join(",");
    else v = input.value.trim();
    if (input.type === "checkbox" ? String(v) === (input.dataset.default || "false") : v === input.dataset.default) continue;
    if (v === "") continue;
    values[input.name] = v;
  }
  return values;
}

function setFormValues(formId, values) {
  const form = document.getElementById("form-" + formId);
  for (const [k, v] of Object.entries(values)) {
    const input = form.querySelector("[name='" + k + "']") || $("#form-top").querySelector("[name='" + k + "']");
    if (!input) continue;
    if (input.type === "checkbox") input.checked = v === true || v === "true";
    else if (input.multiple) {
      const wanted = (Array.isArray(v) ? v : String(v).split(",")).map(s => s.trim());
      for (const o of input.options) o.selected = wanted.includes(o.value);
    } else input.value = Array.isArray(v) ? v.join(",") : (v === null ? "" : String(v));
  }
  showStageFields(formId);
  showQuantizationFields();
}

function clearErrors(scope) {
  for (const s of [scope, $("#topbar")]) {
    s.querySelectorAll(".err").forEach(e => { e.textContent = ""; });
    s.querySelectorAll(".field.invalid").forEach(e => e.classList.remove("invalid"));
  }
}

/** Shows the server's answer to a bad request: each field's message next to it, the rest on top. */
function showErrors(scope, formId, data) {
  clearErrors(scope);
  const errors = data.errors || {_form: data.error || "error"};
  for (const [field, message] of Object.entries(errors)) {
    // a field of the tab, else of the top bar (model, adapter, template), else the tab's general box
    const box = scope.querySelector("[data-err='" + field + "']") || $("#topbar").querySelector("[data-err='" + field + "']")
      || scope.querySelector("[data-err='_form']");
    box.textContent = box.dataset.err === field ? message : field + ": " + message;
    const wrap = scope.querySelector(".field[data-field='" + field + "']") || $("#topbar").querySelector(".field[data-field='" + field + "']");
    if (wrap) wrap.classList.add("invalid");
  }
}

async function loadDatasets(formId) {
  const form = document.getElementById("form-" + formId);
  const dir = form.querySelector("[name=dataset_dir]").value;
  const r = await api("GET", "/api/datasets?dataset_dir=" + encodeURIComponent(dir));
  for (const sel of form.querySelectorAll("select[multiple]")) {
    const chosen = Array.from(sel.selectedOptions).map(o => o.value);
    sel.innerHTML = "";
    for (const n of (r.ok ? r.data.names : [])) {
      const o = document.createElement("option");
      o.value = n; o.textContent = n; o.selected = chosen.includes(n);
      o.dataset.ranking = String(r.data.ranking.includes(n));
      sel.appendChild(o);
    }
  }
  showStageFields(formId);
  const err = form.querySelector("[data-err=dataset_dir]");
  err.textContent = r.ok ? "" : (r.data.errors ? r.data.errors.dataset_dir : r.data.error);
}

async function previewDataset(formId) {
  const form = document.getElementById("form-" + formId);
  const dir = form.querySelector("[name=dataset_dir]").value;
  const sel = form.querySelector("[name=dataset]");
  const name = sel.selectedOptions.length ? sel.selectedOptions[0].value : "";
  const r = await api("GET", "/api/datasets/preview?dataset_dir=" + encodeURIComponent(dir) + "&name=" + encodeURIComponent(name));
  if (!r.ok) { showErrors(document.getElementById("tab-" + formId), formId, r.data); return; }
  $("#dataset-preview").hidden = false;
  $("#dataset-preview-meta").textContent = t("train.records", r.data.total, r.data.formatting, r.data.records.length);
  $("#dataset-preview-records").textContent = r.data.records.map(x => JSON.stringify(x, null, 1)).join("\n");
  const box = $("#dataset-preview-examples");
  box.innerHTML = "";
  box.dataset.kind = r.data.kind;
  for (const e of r.data.examples) box.appendChild(exampleView(e, r.data.kind));
}

/** A labelled block of text: a turn of the prompt or an answer. */
function textBlock(className, labelKey, text) {
  const div = document.createElement("div");
  div.className = className;
  const who = document.createElement("span");
  who.className = "who";
  who.dataset.i18n = labelKey;
  who.textContent = t(labelKey);
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.append(who, body);
  return div;
}

/**
 * One record as training reads it: its system prompt and turns, then the answer — for a
 * preference pair the chosen and rejected answers side by side, for KTO the answer with its tag.
 */
function exampleView(e, kind) {
  const card = document.createElement("div");
  card.className = "example " + kind;
  if (e.error) {
    const err = document.createElement("div");
    err.className = "skipped";
    err.textContent = t("preview.skipped", e.error);
    card.appendChild(err);
    return card;
  }
  if (e.system) card.appendChild(textBlock("turn system", "role.system", e.system));
  for (const m of e.prompt) card.appendChild(textBlock("turn " + m.role, "role." + m.role, m.content));
  if (kind === "pairwise") {
    const pair = document.createElement("div");
    pair.className = "pair";
    pair.append(textBlock("answer chosen", "preview.chosen", e.chosen), textBlock("answer rejected", "preview.rejected", e.rejected));
    card.appendChild(pair);
  } else if (kind === "kto") {
    card.appendChild(textBlock("answer " + (e.desirable ? "desirable" : "undesirable"),
      e.desirable ? "preview.desirable" : "preview.undesirable", e.response));
  } else {
    card.appendChild(textBlock("answer", "role.assistant", e.response));
  }
  return card;
}

// ---------- train ----------

/** A one-line message under a tab's buttons: a server's text as it is (an error, mostly). */
function message(el, text, bad) {
  el.textContent = text;
  el.classList.toggle("bad", !!bad);
  el.dataset.key = "";
}

/**
 * A message of the page's own, by its text key: it is said again in the new language when the
 * language changes, and a later update knows what it replaces ("Training started" gives way to the end).
 */
function say(el, key, ...args) {
  message(el, t(key, ...args));
  el.dataset.key = key;
  el.dataset.args = JSON.stringify(args);
}

/** Says every message of the page's own again, in the current language. */
function retranslateMessages() {
  for (const el of document.querySelectorAll(".message[data-key]")) {
    if (el.dataset.key) el.textContent = t(el.dataset.key, ...JSON.parse(el.dataset.args || "[]"));
  }
}

/** The elements of a tab's config file row and command preview (the Train and Export tabs have one). */
const CONFIG_UI = {
  train: {path: "#config_path", overwrite: "#config_overwrite", box: "#command-preview", command: "#preview-command",
    yaml: "#preview-yaml", message: "#train-message"},
  export: {path: "#export-config_path", overwrite: "#export-config_overwrite", box: "#export-command-preview",
    command: "#export-preview-command", yaml: "#export-preview-yaml", message: "#export-message"}
};

/** Shows the YAML a tab's values make and the command that runs it (jtune train, jtune export). */
async function previewCommand(formId) {
  const ui = CONFIG_UI[formId], scope = document.getElementById("tab-" + formId);
  const r = await api("POST", "/api/preview", {form: formId, values: formValues(formId), config_path: $(ui.path).value});
  if (!r.ok) { showErrors(scope, formId, r.data); $(ui.box).hidden = true; return; }
  clearErrors(scope);
  $(ui.box).hidden = false;
  $(ui.command).textContent = r.data.command;
  $(ui.yaml).textContent = r.data.yaml + (r.data.warnings.length ? "\n# warning: " + r.data.warnings.join("\n# warning: ") : "");
}

async function saveConfig(formId) {
  const ui = CONFIG_UI[formId], scope = document.getElementById("tab-" + formId);
  // The server never replaces an existing file unless "overwrite" is ticked.
  const r = await api("POST", "/api/config/save", {form: formId, values: formValues(formId), config_path: $(ui.path).value,
    overwrite: $(ui.overwrite).checked});
  if (!r.ok) { showErrors(scope, formId, r.data); return; }
  clearErrors(scope);
  $(ui.overwrite).checked = false; // one overwrite per tick
  say($(ui.message), "train.saved", r.data.saved);
}

async function loadConfig() {
  const scope = $("#tab-train");
  const r = await api("POST", "/api/config/load", {form: "train", config_path: $("#config_path").value});
  if (!r.ok) { showErrors(scope, "train", r.data); return; }
  clearErrors(scope);
  buildForm("train");
  applyLanguage(currentLang);
  if (r.data.values.dataset_dir) setFormValues("train", {dataset_dir: r.data.values.dataset_dir});
  await loadDatasets("train");
  // the config names the run's model, adapter, template and quantization: the top bar shows those (a key it lacks, at its default)
  setFormValues("train", Object.fromEntries(SHARED.map(k => [k, r.data.values[k] === undefined ? $("#top-" + k).dataset.default : r.data.values[k]])));
  setFormValues("train", r.data.values);
  message($("#train-message"), t("train.loaded", $("#config_path").value)
    + (r.data.not_in_form.length ? " — " + t("train.notInForm", r.data.not_in_form.join(", ")) : ""));
}

/** The tab (and form) a job kind belongs to: prediction is the Evaluate tab with Predict ticked. */
function tabOf(kind) {
  return kind === "predict" ? "evaluate" : kind;
}

/** Starts a job of one kind (train, evaluate, predict, export) from the values of its tab's form. */
async function startJob(kind, messageEl) {
  const formId = tabOf(kind);
  const scope = document.getElementById("tab-" + formId);
  const r = await api("POST", "/api/jobs", {form: kind, values: formValues(formId)});
  if (!r.ok) {
    if (r.status === 409) { message(messageEl, t("error.busy") + ": " + r.data.error, true); return; }
    showErrors(scope, formId, r.data);
    return;
  }
  clearErrors(scope);
  say(messageEl, "started." + kind);
  showJob(r.data);
  pollJob();
}

function formatSeconds(s) {
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
}

function showJob(job) {
  const previous = lastJob;
  lastJob = job;
  const active = ["starting", "running", "stopping"].includes(job.state);
  $("#btn-abort").disabled = !(active && job.kind === "train");
  $("#btn-eval-abort").disabled = !(active && job.kind === "predict" && job.abortable);
  for (const b of ["#btn-start", "#btn-eval-start", "#btn-export"]) $(b).disabled = active;
  if (job.kind === "predict" || job.kind === "export") { showTask(job); return; }
  $("#job-state").textContent = t("state." + job.state);
  $("#job-state").dataset.state = job.state;
  if (job.state === "none") return;
  $("#job-steps").textContent = job.total_steps ? t("job.steps", job.step, job.total_steps) : "";
  $("#job-eta").textContent = (job.eta_s !== undefined ? t("job.eta", formatSeconds(job.eta_s)) + " · " : "") + t("job.elapsed", formatSeconds(job.elapsed_s));
  $("#job-progress").value = job.total_steps ? job.step / job.total_steps : 0;
  $("#job-metrics").textContent = latestValues(job);
  const log = $("#job-log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = job.log.join("\n");
  if (atBottom) log.scrollTop = log.scrollHeight;
  $("#loss-chart").dataset.points = String(job.loss.length);
  drawChart($("#loss-chart"), [
    ...smoothedSeries(job.loss, "#2f6fe0", t("chart.loss"), t("chart.loss") + " (" + t("chart.smoothed") + ")"),
    {points: job.eval_loss, color: "#e0782f", label: t("chart.eval"), dots: true}
  ], {x: t("chart.step"), empty: t("chart.empty")});
  showStageMetrics(job.metric_curves || []);
  if (job.kind === "evaluate") { showTaskBox("eval", job); showMetrics(job, t("eval.done")); }
  if (job.state === "failed") message($("#" + (job.kind === "train" ? "train" : "eval") + "-message"), job.error, true);
  // "Training started" gives way to how it ended, once the page sees it end
  const ended = job.state === "finished" || job.state === "aborted";
  const wasActive = previous && ["starting", "running", "stopping"].includes(previous.state);
  if (job.kind === "train" && ended && (wasActive || $("#train-message").dataset.key === "started.train")) {
    say($("#train-message"), "ended.train." + job.state, job.output_dir);
  }
}

/**
 * The stage's own metrics in charts under the loss: dpo rewards/accuracies, rm accuracy, kto rewards/chosen;
 * ppo and grpo the reward, then the KL to the reference.
 */
function showStageMetrics(curves) {
  showStageMetric($("#metric-chart"), curves[0]);
  showStageMetric($("#metric-chart-2"), curves[1]);
}

function showStageMetric(canvas, curve) {
  canvas.hidden = !curve;
  if (!curve) return;
  canvas.dataset.metric = curve.name;
  canvas.dataset.points = String(curve.train.length);
  drawChart(canvas, [
    ...smoothedSeries(curve.train, "#2e9e6a", curve.name, curve.name + " (" + t("chart.smoothed") + ")"),
    {points: curve.eval, color: "#8a4fd0", label: "eval_" + curve.name, dots: true}
  ], {x: t("chart.step"), empty: t("chart.emptyMetric")});
}

/** The newest loss and eval loss, then the objective's own metrics (e.g. rewards/accuracies), as one line. */
function latestValues(job) {
  const values = [];
  if (job.loss.length) values.push([t("chart.loss"), job.loss[job.loss.length - 1][1]]);
  if (job.eval_loss.length) values.push([t("chart.eval"), job.eval_loss[job.eval_loss.length - 1][1]]);
  for (const [name, v] of Object.entries(job.metrics || {})) values.push([name, v]);
  return values.map(([name, v]) => name + " " + (typeof v === "number" ? v.toFixed(4) : String(v))).join(" · ");
}

/** The metrics a finished evaluation or prediction wrote, as a table in the Evaluate tab. */
function showMetrics(job, doneText) {
  const table = $("#eval-metrics");
  table.innerHTML = "";
  if (job.state === "finished" && job.result) {
    message($("#eval-message"), doneText);
    for (const [k, v] of Object.entries(job.result)) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = typeof v === "number" ? v.toFixed(4) : String(v);
    }
  }
}

/** A job's state, elapsed time and log in the box of its own tab (eval, export). */
function showTaskBox(box, job) {
  $("#" + box + "-task").hidden = false;
  $("#" + box + "-state").textContent = t("state." + job.state);
  $("#" + box + "-state").dataset.state = job.state;
  $("#" + box + "-elapsed").textContent = t("job.elapsed", formatSeconds(job.elapsed_s));
  const log = $("#" + box + "-log");
  log.textContent = job.log.join("\n");
  log.scrollTop = log.scrollHeight;
}

/** A prediction or an export: its state and log in its own tab, then what it wrote. */
function showTask(job) {
  const box = job.kind === "export" ? "export" : "eval";
  showTaskBox(box, job);
  if (job.state === "failed" || job.state === "aborted") message($("#" + box + "-message"), job.error, true);
  if (job.kind === "predict") {
    const {predictions, ...metrics} = job.result || {};
    showMetrics({state: job.state, result: job.result ? metrics : null}, job.result ? t("predict.done", predictions) : "");
  } else {
    const list = $("#export-files");
    list.innerHTML = "";
    if (job.state === "finished" && job.result) {
      message($("#export-message"), t("export.done", job.result.export_dir));
      for (const f of job.result.files) { const li = document.createElement("li"); li.textContent = f; list.appendChild(li); }
    }
  }
}

let polling = false;
async function pollJob() {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const r = await api("GET", "/api/jobs/current");
      if (r.ok) showJob(r.data);
      if (!r.ok || !["starting", "running", "stopping"].includes(r.data.state)) break;
      await new Promise(res => setTimeout(res, 1000));
    }
  } finally {
    polling = false;
  }
}

async function abortJob(messageEl) {
  const r = await api("POST", "/api/jobs/abort", {});
  if (r.ok) showJob(r.data); else message(messageEl, r.data.error, true);
}

// ---------- chat ----------

async function refreshAdapters() {
  const r = await api("GET", "/api/outputs");
  const list = $("#adapters");
  list.innerHTML = "";
  if (r.ok) for (const a of r.data.adapters) { const o = document.createElement("option"); o.value = a; list.appendChild(o); }
}

/**
 * The loaded model and the adapters served over it: the list (each removable), and the choices of
 * who answers the next message and who answers beside it ("" is the base model). A new model selects
 * the adapter loaded with it; otherwise the choices stay as they were while still served.
 */
function showChat(state, reset) {
  chatState = state;
  $("#chat-status").dataset.loaded = String(state.loaded);
  $("#chat-status").textContent = state.loaded ? t("chat.loaded", state.model_name) : t("chat.none");
  const adapters = state.adapters || [];
  const list = $("#served-adapters");
  list.innerHTML = "";
  for (const a of adapters) {
    const li = document.createElement("li");
    li.dataset.adapter = a.name;
    const name = document.createElement("b");
    name.textContent = a.name;
    const path = document.createElement("span");
    path.className = "path";
    path.textContent = a.path;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.i18n = "chat.removeAdapter";
    remove.textContent = t("chat.removeAdapter");
    remove.addEventListener("click", () => removeAdapter(a.name));
    li.append(name, path, remove);
    list.appendChild(li);
  }
  $("#served").hidden = !state.loaded;
  fillAnswerers($("#chat-adapter"), adapters, false, reset ? state.default_adapter || "" : null);
  fillAnswerers($("#chat-compare"), adapters, true, reset ? "-" : null);
}

/** A list of who may answer: the base model and each served adapter ("—" first for the side-by-side choice). */
function fillAnswerers(select, adapters, optional, selected) {
  const keep = selected === null ? select.value : selected;
  select.innerHTML = "";
  const options = (optional ? [["-", "—"]] : []).concat([["", t("chat.base")]], adapters.map(a => [a.name, a.name]));
  for (const [value, label] of options) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  select.value = options.some(o => o[0] === keep) ? keep : options[0][0];
}

async function loadChat() {
  const scope = $("#tab-chat");
  $("#chat-status").textContent = t("chat.loading");
  const values = formValues("chat");
  const r = await api("POST", "/api/chat/load", {values});
  if (!r.ok) { showErrors(scope, "chat", r.data); showChat(chatState || {loaded: false}, false); return; }
  clearErrors(scope);
  showChat(r.data, true);
}

/** Serves one more adapter folder over the loaded model, under the name given (the folder's name when empty). */
async function addAdapter() {
  const scope = $("#tab-chat");
  const r = await api("POST", "/api/chat/adapters/add", {path: $("#chat-adapter-path").value, name: $("#chat-adapter-name").value});
  if (!r.ok) { showErrors(scope, "chat", r.data); return; }
  clearErrors(scope);
  $("#chat-adapter-path").value = "";
  $("#chat-adapter-name").value = "";
  showChat(r.data, false);
}

async function removeAdapter(name) {
  const r = await api("POST", "/api/chat/adapters/remove", {name});
  if (r.ok) showChat(r.data, false); else showErrors($("#tab-chat"), "chat", r.data);
}

/** Who answered, as the reply's label says: the base model or the adapter's name. */
function answererName(adapter) {
  return adapter === "" ? t("chat.base") : adapter;
}

function addTurn(parent, role, text, adapter) {
  const div = document.createElement("div");
  div.className = "turn " + role;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = t("chat." + role) + (adapter === undefined ? "" : " · " + answererName(adapter));
  if (adapter !== undefined) div.dataset.adapter = adapter;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.append(who, body);
  parent.appendChild(div);
  $("#conversation").scrollTop = $("#conversation").scrollHeight;
  return body;
}

/** The sampling settings of the chat form, sent with each message. */
function sampling() {
  const out = {};
  for (const name of ["temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty"]) {
    const el = document.getElementById("chat-" + name);
    if (el && el.value.trim() !== "") out[name] = el.value.trim();
  }
  const s = document.getElementById("chat-do_sample");
  if (s) out.do_sample = s.checked;
  return out;
}

/**
 * The conversation as one answerer saw it: the user's messages with that answerer's own replies
 * where it answered (side by side), else the reply the turn was answered with.
 */
function historyFor(adapter) {
  const messages = [];
  for (const turn of conversation) {
    const own = turn.answers.find(a => a.adapter === adapter) || turn.answers[0];
    messages.push({role: "user", content: turn.user}, {role: "assistant", content: own.text});
  }
  return messages;
}

/**
 * Sends the message to the chosen answerer, and to the side-by-side one when chosen: both at once
 * (the server decodes them in one batch), each reply streaming into its own column.
 */
async function sendChat() {
  const scope = $("#tab-chat");
  const text = $("#chat-message").value;
  const main = $("#chat-adapter").value, beside = $("#chat-compare").value;
  const answerers = [main].concat(beside !== "-" && beside !== main ? [beside] : []);
  const headers = {"Content-Type": "application/json"};
  if (token) headers["X-Jtune-Token"] = token;
  const stop = new AbortController();
  $("#btn-chat-send").disabled = true;
  try {
    const responses = await Promise.all(answerers.map(adapter => fetch("/api/chat/send", {method: "POST", headers, signal: stop.signal,
      body: JSON.stringify({messages: historyFor(adapter).concat([{role: "user", content: text}]), system: $("#chat-system").value,
        sampling: sampling(), adapter})})));
    const refused = responses.find(r => !r.ok);
    if (refused) {
      const data = await refused.json();
      stop.abort();   // the other reply, if it started, is not wanted
      showErrors(scope, "chat", data);
      return;
    }
    clearErrors(scope);
    addTurn($("#conversation"), "user", text);
    $("#chat-message").value = "";
    const row = document.createElement("div");
    row.className = "answers" + (answerers.length > 1 ? " side-by-side" : "");
    $("#conversation").appendChild(row);
    const answers = answerers.map(adapter => ({adapter, text: ""}));
    await Promise.all(responses.map((res, i) => streamReply(res, addTurn(row, "assistant", "", answers[i].adapter), answers[i], scope)));
    conversation.push({user: text, answers});
  } finally {
    $("#btn-chat-send").disabled = false;
  }
}

/** Reads one reply's NDJSON lines into its box as they come. */
async function streamReply(res, target, answer, scope) {
  const turn = target.parentElement;
  turn.dataset.done = "false";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, {stream: true});
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if (line.text !== undefined) { answer.text += line.text; target.textContent = answer.text; }
      if (line.error) showErrors(scope, "chat", {error: line.error});
      if (line.done) { turn.dataset.tokens = line.completion_tokens; turn.dataset.finish = line.finish_reason; }
    }
  }
  turn.dataset.done = "true";
}

// ---------- start-up ----------

async function main() {
  await loadLanguages();
  fillLanguageSwitch($("#lang"));
  const r = await api("GET", "/api/forms");
  if (r.status === 401) { document.body.textContent = t("token.missing"); return; }
  if (!r.ok) { document.body.textContent = r.data.error || "cannot reach the jtune server"; return; }
  FORMS = r.data;
  const templates = document.createElement("datalist");
  templates.id = "templates";
  for (const n of FORMS.templates) { const o = document.createElement("option"); o.value = n; templates.appendChild(o); }
  const adapters = document.createElement("datalist");
  adapters.id = "adapters";
  document.body.append(templates, adapters);
  buildTopBar();
  for (const id of ["train", "chat", "evaluate", "export"]) buildForm(id);
  $("#lang").value = currentLang;
  applyLanguage(currentLang);
  await Promise.all([loadDatasets("train"), loadDatasets("evaluate"), refreshAdapters()]);

  document.querySelectorAll("#tabs button").forEach(b => b.addEventListener("click", () => {
    document.querySelectorAll("#tabs button").forEach(x => x.classList.toggle("active", x === b));
    document.querySelectorAll(".tab").forEach(x => x.classList.toggle("active", x.id === "tab-" + b.dataset.tab));
    if (b.dataset.tab === "chat" || b.dataset.tab === "evaluate" || b.dataset.tab === "export") refreshAdapters();
    if (b.dataset.tab === "train" && lastJob) showJob(lastJob);
  }));
  $("#lang").addEventListener("change", e => {
    applyLanguage(e.target.value);
    retranslateMessages();
    for (const id of ["train", "chat", "evaluate", "export"]) relabelChoices(id);
    if (lastJob) showJob(lastJob);
    if (chatState) showChat(chatState, false);
  });
  $("#btn-preview").addEventListener("click", () => previewCommand("train"));
  $("#btn-save").addEventListener("click", () => saveConfig("train"));
  $("#btn-export-preview").addEventListener("click", () => previewCommand("export"));
  $("#btn-export-save").addEventListener("click", () => saveConfig("export"));
  $("#btn-load").addEventListener("click", loadConfig);
  $("#btn-start").addEventListener("click", () => startJob("train", $("#train-message")));
  $("#btn-abort").addEventListener("click", () => abortJob($("#train-message")));
  $("#btn-eval-start").addEventListener("click", () => startJob($("#predict").checked ? "predict" : "evaluate", $("#eval-message")));
  $("#btn-eval-abort").addEventListener("click", () => abortJob($("#eval-message")));
  $("#btn-chat-load").addEventListener("click", loadChat);
  $("#btn-chat-unload").addEventListener("click", async () => { const x = await api("POST", "/api/chat/unload", {}); if (x.ok) showChat(x.data, true); });
  $("#btn-chat-add-adapter").addEventListener("click", addAdapter);
  $("#btn-chat-send").addEventListener("click", sendChat);
  $("#btn-chat-clear").addEventListener("click", () => { conversation = []; $("#conversation").innerHTML = ""; });
  $("#btn-export").addEventListener("click", () => startJob("export", $("#export-message")));

  const chat = await api("GET", "/api/chat");
  if (chat.ok) showChat(chat.data, true);
  const job = await api("GET", "/api/jobs/current");   // a reload shows the running job as it is
  if (job.ok) {
    if (job.data.values) await restoreForm(tabOf(job.data.kind), job.data.values);
    if (job.data.kind === "predict") $("#predict").checked = true;
    showJob(job.data);
    pollJob();
  }
  document.body.dataset.ready = "true";
}

/** Fills a form with the values of the last job it started (after a reload, the form is as it was). */
async function restoreForm(formId, values) {
  if (values.dataset_dir) {
    setFormValues(formId, {dataset_dir: values.dataset_dir});
    await loadDatasets(formId);
  }
  setFormValues(formId, values);
}

/** Choice options carry "(not supported yet)" in the current language. */
function relabelChoices(formId) {
  const desc = FORMS.forms[formId];
  for (const f of desc.fields.filter(x => x.type === "choice")) {
    const sel = document.getElementById(formId + "-" + f.name);
    for (const o of sel.options) o.textContent = f.supported_choices.includes(o.value) ? o.value : o.value + " (" + t("notSupported") + ")";
  }
}

main();
