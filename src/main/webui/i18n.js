// The page's languages: the texts live in i18n.json (LLaMA-Factory's set: English, 中文, Русский,
// 日本語, 한국어; WebUiI18nTest checks that every key has a text in each). Form fields are labelled
// there; their help (the tooltip) comes from the key registry on the server, in English.
"use strict";

let I18N = {languages: [{code: "en", name: "English", html_lang: "en"}], texts: {en: {}}};
let currentLang = "en";

/** Loads the texts (a static file: no token needed) and picks the remembered or the browser's language. */
async function loadLanguages() {
  try {
    const res = await fetch("/static/i18n.json");
    if (res.ok) I18N = await res.json();
  } catch (e) { /* the keys themselves show: better than nothing */ }
  const codes = I18N.languages.map(l => l.code);
  const remembered = localStorage.getItem("jtune.lang");
  const browser = (navigator.language || "").slice(0, 2).toLowerCase();
  currentLang = codes.includes(remembered) ? remembered : codes.includes(browser) ? browser : "en";
}

/** The text of key in the current language, with {0}, {1}… filled in. */
function t(key, ...args) {
  const s = (I18N.texts[currentLang] && I18N.texts[currentLang][key]) || I18N.texts.en[key] || key;
  return s.replace(/\{(\d+)\}/g, (m, i) => String(args[+i]));
}

/** Fills the language switch with the languages of i18n.json, each in its own name. */
function fillLanguageSwitch(select) {
  select.innerHTML = "";
  for (const l of I18N.languages) {
    const o = document.createElement("option");
    o.value = l.code;
    o.textContent = l.name;
    select.appendChild(o);
  }
  select.value = currentLang;
}

/** Re-labels every element marked with data-i18n / data-i18n-placeholder. */
function applyLanguage(lang) {
  currentLang = lang;
  localStorage.setItem("jtune.lang", lang);
  const l = I18N.languages.find(x => x.code === lang);
  document.documentElement.lang = l ? l.html_lang : lang;
  document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}
