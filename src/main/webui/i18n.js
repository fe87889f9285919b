// English and Chinese texts of the page. Keys of the forms are labelled here; their help
// (the tooltip) comes from the key registry on the server, in English.
"use strict";
const I18N = {
  en: {
    "lang": "Language",
    "token.missing": "This page needs its token: open the address `jtune webui` printed (it ends in ?token=…).",
    "tab.train": "Train", "tab.chat": "Chat", "tab.evaluate": "Evaluate & predict", "tab.export": "Export",
    "section.model": "Model", "section.method": "Method", "section.data": "Data", "section.hyper": "Hyperparameters",
    "section.adapter": "LoRA / freeze", "section.output": "Output", "section.generating": "Sampling",
    "train.previewData": "Dataset preview", "train.configPath": "Config file", "train.preview": "Preview command",
    "train.save": "Save", "train.overwrite": "overwrite", "train.load": "Load", "train.start": "Start", "train.abort": "Abort", "train.command": "Command",
    "train.saved": "Saved to {0}", "train.loaded": "Loaded {0}", "train.notInForm": "Keys kept out of the form: {0}",
    "train.records": "{0} records, format {1}; first {2}:", "train.previewBtn": "Preview",
    "job.state": "State", "job.log": "Log", "job.steps": "step {0} / {1}", "job.eta": "ETA {0}", "job.elapsed": "elapsed {0}",
    "state.none": "no job", "state.starting": "starting", "state.running": "running", "state.stopping": "stopping (saving a checkpoint)",
    "state.finished": "finished", "state.aborted": "aborted (checkpoint saved)", "state.failed": "failed",
    "chart.loss": "loss", "chart.eval": "eval loss", "chart.step": "step", "chart.empty": "The loss curve appears with the first step.",
    "chat.load": "Load model", "chat.unload": "Unload", "chat.adapterOn": "Adapter on", "chat.system": "System prompt",
    "chat.placeholder": "Type a message", "chat.send": "Send", "chat.clear": "Clear history", "chat.none": "No model loaded",
    "chat.loaded": "Loaded {0}", "chat.adapterOff": "adapter off", "chat.loading": "Loading…", "chat.user": "User", "chat.assistant": "Assistant",
    "eval.start": "Start", "eval.predict": "Predict (generate and score BLEU/ROUGE)", "eval.done": "Evaluation finished",
    "predict.done": "Prediction finished; predictions in {0}",
    "export.what": "Writes a Hugging Face model folder (the adapter merged into the base) to the export folder; a GGUF file too when a GGUF type is chosen, and an Ollama Modelfile when a template is set.",
    "export.start": "Export", "export.done": "Exported to {0}:",
    "started.train": "Training started", "started.evaluate": "Evaluating…", "started.predict": "Predicting…", "started.export": "Exporting…",
    "error.busy": "A job is already running",
    "f.model_name_or_path": "Model path or hub id", "f.adapter_name_or_path": "Adapter (output folder)", "f.template": "Template",
    "f.finetuning_type": "Finetuning type", "f.stage": "Stage", "f.dataset_dir": "Data folder", "f.dataset": "Dataset",
    "f.eval_dataset": "Evaluation dataset", "f.cutoff_len": "Cutoff length", "f.max_samples": "Max samples", "f.val_size": "Validation size",
    "f.learning_rate": "Learning rate", "f.num_train_epochs": "Epochs", "f.max_steps": "Max steps", "f.per_device_train_batch_size": "Batch size",
    "f.per_device_eval_batch_size": "Eval batch size", "f.gradient_accumulation_steps": "Gradient accumulation", "f.lr_scheduler_type": "LR scheduler",
    "f.warmup_steps": "Warmup steps", "f.max_grad_norm": "Max gradient norm", "f.logging_steps": "Logging steps", "f.save_steps": "Save steps",
    "f.seed": "Seed", "f.lora_rank": "LoRA rank", "f.lora_alpha": "LoRA alpha", "f.lora_dropout": "LoRA dropout", "f.lora_target": "LoRA modules",
    "f.use_rslora": "Use rsLoRA", "f.use_dora": "Use DoRA", "f.pissa_init": "Use PiSSA", "f.pissa_iter": "PiSSA SVD iterations",
    "f.pissa_convert": "Convert PiSSA to LoRA", "f.loraplus_lr_ratio": "LoRA+ LR ratio",
    "f.freeze_trainable_layers": "Trainable layers (freeze)", "f.output_dir": "Output folder", "f.overwrite_output_dir": "Overwrite output folder",
    "f.resume_from_checkpoint": "Resume from checkpoint", "f.plot_loss": "Plot loss", "f.default_system": "Default system prompt",
    "f.do_sample": "Sample", "f.temperature": "Temperature", "f.top_p": "Top-p", "f.top_k": "Top-k", "f.max_new_tokens": "Max new tokens",
    "f.repetition_penalty": "Repetition penalty", "f.export_dir": "Export folder", "f.export_size": "Shard size (GB)",
    "f.export_gguf": "GGUF type", "f.export_quantization_bit": "Quantization bits", "f.export_device": "Export device",
    "f.export_legacy_format": "Legacy format (.bin)", "f.export_hub_model_id": "Hub repository", "section.export": "Export",
    "notSupported": "not supported yet"
  },
  zh: {
    "lang": "语言",
    "token.missing": "此页面需要令牌：请打开 `jtune webui` 打印的地址（以 ?token=… 结尾）。",
    "tab.train": "训练", "tab.chat": "对话", "tab.evaluate": "评估与预测", "tab.export": "导出",
    "section.model": "模型", "section.method": "方法", "section.data": "数据", "section.hyper": "超参数",
    "section.adapter": "LoRA / 冻结", "section.output": "输出", "section.generating": "采样",
    "train.previewData": "数据集预览", "train.configPath": "配置文件", "train.preview": "预览命令",
    "train.save": "保存", "train.overwrite": "覆盖", "train.load": "载入", "train.start": "开始", "train.abort": "中断", "train.command": "命令",
    "train.saved": "已保存到 {0}", "train.loaded": "已载入 {0}", "train.notInForm": "未放入表单的参数：{0}",
    "train.records": "共 {0} 条，格式 {1}；前 {2} 条：", "train.previewBtn": "预览",
    "job.state": "状态", "job.log": "日志", "job.steps": "第 {0} / {1} 步", "job.eta": "剩余 {0}", "job.elapsed": "已用 {0}",
    "state.none": "无任务", "state.starting": "启动中", "state.running": "运行中", "state.stopping": "正在停止（保存检查点）",
    "state.finished": "已完成", "state.aborted": "已中断（检查点已保存）", "state.failed": "失败",
    "chart.loss": "损失", "chart.eval": "验证损失", "chart.step": "步数", "chart.empty": "第一步完成后显示损失曲线。",
    "chat.load": "加载模型", "chat.unload": "卸载", "chat.adapterOn": "启用适配器", "chat.system": "系统提示词",
    "chat.placeholder": "输入消息", "chat.send": "发送", "chat.clear": "清空历史", "chat.none": "未加载模型",
    "chat.loaded": "已加载 {0}", "chat.adapterOff": "适配器已关闭", "chat.loading": "加载中…", "chat.user": "用户", "chat.assistant": "助手",
    "eval.start": "开始", "eval.predict": "预测（生成并计算 BLEU/ROUGE）", "eval.done": "评估完成",
    "predict.done": "预测完成；结果在 {0}",
    "export.what": "将 Hugging Face 模型目录（适配器已合并进基座）写入导出目录；选择 GGUF 类型时另写 GGUF 文件，设置对话模板时另写 Ollama Modelfile。",
    "export.start": "导出", "export.done": "已导出到 {0}：",
    "started.train": "训练已开始", "started.evaluate": "评估中…", "started.predict": "预测中…", "started.export": "导出中…",
    "error.busy": "已有任务在运行",
    "f.model_name_or_path": "模型路径或 Hub ID", "f.adapter_name_or_path": "适配器（输出目录）", "f.template": "对话模板",
    "f.finetuning_type": "微调方法", "f.stage": "训练阶段", "f.dataset_dir": "数据目录", "f.dataset": "数据集",
    "f.eval_dataset": "评估数据集", "f.cutoff_len": "截断长度", "f.max_samples": "最大样本数", "f.val_size": "验证集比例",
    "f.learning_rate": "学习率", "f.num_train_epochs": "训练轮数", "f.max_steps": "最大步数", "f.per_device_train_batch_size": "批处理大小",
    "f.per_device_eval_batch_size": "评估批处理大小", "f.gradient_accumulation_steps": "梯度累积", "f.lr_scheduler_type": "学习率调度器",
    "f.warmup_steps": "预热步数", "f.max_grad_norm": "最大梯度范数", "f.logging_steps": "日志间隔", "f.save_steps": "保存间隔",
    "f.seed": "随机种子", "f.lora_rank": "LoRA 秩", "f.lora_alpha": "LoRA 缩放系数", "f.lora_dropout": "LoRA 随机丢弃", "f.lora_target": "LoRA 作用模块",
    "f.use_rslora": "使用 rsLoRA", "f.use_dora": "使用 DoRA", "f.pissa_init": "使用 PiSSA", "f.pissa_iter": "PiSSA 奇异值分解迭代次数",
    "f.pissa_convert": "PiSSA 转换为 LoRA", "f.loraplus_lr_ratio": "LoRA+ 学习率比例",
    "f.freeze_trainable_layers": "可训练层数（冻结）", "f.output_dir": "输出目录", "f.overwrite_output_dir": "覆盖输出目录",
    "f.resume_from_checkpoint": "从检查点恢复", "f.plot_loss": "绘制损失图", "f.default_system": "默认系统提示词",
    "f.do_sample": "采样", "f.temperature": "温度", "f.top_p": "Top-p 采样值", "f.top_k": "Top-k 采样值", "f.max_new_tokens": "最大生成长度",
    "f.repetition_penalty": "重复惩罚", "f.export_dir": "导出目录", "f.export_size": "分片大小（GB）",
    "f.export_gguf": "GGUF 类型", "f.export_quantization_bit": "量化位数", "f.export_device": "导出设备",
    "f.export_legacy_format": "旧格式（.bin）", "f.export_hub_model_id": "Hub 仓库", "section.export": "导出",
    "notSupported": "暂不支持"
  }
};

let currentLang = localStorage.getItem("jtune.lang") || ((navigator.language || "").startsWith("zh") ? "zh" : "en");

/** The text of key in the current language, with {0}, {1}… filled in. */
function t(key, ...args) {
  const s = (I18N[currentLang] && I18N[currentLang][key]) || I18N.en[key] || key;
  return s.replace(/\{(\d+)\}/g, (m, i) => String(args[+i]));
}

/** Re-labels every element marked with data-i18n / data-i18n-placeholder. */
function applyLanguage(lang) {
  currentLang = lang;
  localStorage.setItem("jtune.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}
