package io.jtune.quickstart;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates the quickstart's pretraining text: everyday English and Chinese prose about shops,
 * parcels, orders, weather and daily life, composed from small sentence patterns and word lists
 * written for jtune. It gives a tiny base model some language before fine-tuning, without copying
 * any third-party text into the repository. Deterministic for a given seed.
 */
public final class CorpusGenerator {
    private static final String[] NAMES_EN = {"Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jack", "Lena", "Marco"};
    private static final String[] ITEMS_EN = {"a wool scarf", "a ceramic teapot", "a desk lamp", "running shoes", "a backpack", "a phone case",
        "a coffee grinder", "a linen shirt", "a bluetooth speaker", "a yoga mat", "a water bottle", "an umbrella", "a notebook", "a kettle",
        "headphones", "a rain jacket", "a desk chair", "a tea towel", "a bread knife", "a picture frame", "a flower pot", "wool socks"};
    private static final String[] PLACES_EN = {"the market", "the post office", "the library", "the station", "the park", "the bakery", "the warehouse", "the shop"};
    private static final String[] DAYS_EN = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] WEATHER_EN = {"sunny", "rainy", "windy", "cold", "warm", "cloudy", "foggy"};
    private static final String[] FEELINGS_EN = {"happy", "tired", "surprised", "pleased", "worried", "calm", "curious"};
    private static final String[][] PATTERNS_EN = {
        {"On ", "$day", " ", "$name", " went to ", "$place", " to buy ", "$item", "."},
        {"$name", " ordered ", "$item", " online and waited for the parcel."},
        {"The parcel with ", "$item", " left ", "$place", " in the morning and arrived on ", "$day", "."},
        {"It was ", "$weather", " on ", "$day", ", so ", "$name", " stayed near ", "$place", "."},
        {"$name", " felt ", "$feeling", " when ", "$item", " finally arrived."},
        {"The shop sells ", "$item", " and ", "$item", ", and it opens at ", "$hour", " o'clock."},
        {"$name", " asked the seller whether ", "$item", " could be delivered before ", "$day", "."},
        {"After a ", "$weather", " week, ", "$name", " and ", "$name", " met at ", "$place", "."},
        {"A good shop answers questions quickly and explains its rules clearly."},
        {"The delivery took ", "$days", " days because the roads near ", "$place", " were busy."},
        {"$name", " wrote a short note to thank the shop for ", "$item", "."},
        {"Every ", "$day", ", the warehouse packs hundreds of orders and sends them to ", "$place", "."},
        {"When something goes wrong, a calm and clear answer helps everyone."},
        {"$name", " kept the receipt for ", "$item", " in a drawer at home."},
        {"The price of ", "$item", " was ", "$number", " dollars, and shipping was free."},
        // The vocabulary of online orders, so that fine-tuning on support answers meets known words.
        {"$name", " returned ", "$item", " and got a refund to the original payment method."},
        {"A refund reaches the bank account some days after the return arrives at the warehouse."},
        {"Express delivery is faster than standard delivery, and it costs a little more."},
        {"The invoice for order ", "$order", " can be downloaded as a PDF from the Orders page."},
        {"$name", " used the Forgot password link, and the reset email arrived a minute later."},
        {"After too many wrong passwords, the account was locked for a while."},
        {"The carrier traced the parcel for order ", "$order", " and found it at a sorting centre."},
        {"$item", " arrived damaged, so the shop sent a replacement free of charge."},
        {"$name", " was charged twice for order ", "$order", ", and the duplicate payment was refunded."},
        {"The company name and the VAT number appear on the invoice when they are saved on the account."},
        {"A voucher for the next order was added to the account of ", "$name", "."},
        {"The return label is prepaid, so returning ", "$item", " costs nothing."},
        {"$name", " changed the email address on the account and confirmed it with a code."},
        {"Order ", "$order", " had not shipped yet, so it could still be upgraded to express delivery."},
        {"When the tracking shows a parcel as delivered, neighbours and the mailroom often have it."},
        {"Store credit can be used for any item in the shop."},
        {"$name", " asked whether ", "$item", " could be exchanged for another size."},
        {"The price of ", "$item", " dropped the next day, and the shop refunded the difference."},
        {"$name", " said sorry for the noise and closed the window."},
        {"Is there anything else in the parcel, ", "$name", " asked."},
        {"$name", " can help you with the form at ", "$place", "."},
        {"I'm happy that ", "$item", " arrived on time, ", "$name", " wrote."},
        {"Please reply with the size you need, the note said."},
    };
    private static final String[] NAMES_ZH = {"小王", "小李", "张老师", "陈先生", "刘女士", "小美", "老周", "小林", "赵阿姨", "孙同学"};
    private static final String[] ITEMS_ZH = {"羊毛围巾", "陶瓷茶壶", "台灯", "跑鞋", "双肩包", "手机壳", "咖啡研磨机", "亚麻衬衫", "蓝牙音箱", "瑜伽垫",
        "保温杯", "雨伞", "笔记本", "电水壶", "耳机", "雨衣", "椅子", "毛巾", "面包刀", "相框", "花盆", "羊毛袜"};
    private static final String[] PLACES_ZH = {"超市", "邮局", "图书馆", "车站", "公园", "面包店", "仓库", "商店"};
    private static final String[] DAYS_ZH = {"星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"};
    private static final String[] WEATHER_ZH = {"晴朗", "下雨", "刮风", "寒冷", "温暖", "多云"};
    private static final String[][] PATTERNS_ZH = {
        {"$day", "，", "$name", "去", "$place", "买了", "$item", "。"},
        {"$name", "在网上订了", "$item", "，一直在等快递。"},
        {"装着", "$item", "的包裹早上从", "$place", "出发，", "$day", "送到了。"},
        {"$day", "天气", "$weather", "，", "$name", "在", "$place", "附近散步。"},
        {"这家店卖", "$item", "和", "$item", "，每天", "$hour", "点开门。"},
        {"$name", "问卖家", "$item", "能不能在", "$day", "之前送到。"},
        {"快递用了", "$days", "天，因为", "$place", "附近的路很堵。"},
        {"好的商店回答问题很快，也会把规则讲清楚。"},
        {"$name", "把", "$item", "的收据放在家里的抽屉里。"},
        {"$item", "的价格是", "$number", "元，运费全免。"},
        {"遇到问题时，冷静清楚的回答能帮助每一个人。"},
        {"$name", "退回了", "$item", "，款项原路退回到支付方式。"},
        {"仓库收到退货几天后，退款会到账。"},
        {"加急配送比标准配送快，费用也高一些。"},
        {"订单", "$order", "的发票可以在订单页面下载PDF。"},
        {"$name", "点击忘记密码，一分钟后收到了重置邮件。"},
        {"密码输错太多次后，账户被暂时锁定了。"},
        {"快递公司查到订单", "$order", "的包裹在分拣中心。"},
        {"$item", "送到时已经损坏，商店免费补发了一个。"},
        {"$name", "的订单", "$order", "被扣了两次款，重复的款项已经退回。"},
        {"账户中保存了公司名称和税号，发票上就会显示。"},
        {"一张优惠券已经添加到", "$name", "的账户中。"},
        {"退货面单是预付费的，退回", "$item", "不需要运费。"},
        {"$name", "修改了账户绑定的邮箱，并用验证码确认。"},
        {"订单", "$order", "还没有发货，所以还可以升级为加急配送。"},
        {"$item", "第二天降价了，商店退还了差价。"},
        {"$name", "问", "$item", "能不能换一个尺码。"},
        {"$name", "为打扰大家说了声抱歉。"},
        {"请问还有别的需要吗？", "$name", "问道。"},
        {"$name", "可以帮您填写表格。"},
    };

    /** Question and answer patterns for short everyday chats in the chatml format. */
    private static final String[][][] DIALOGUES_EN = {
        {{"Do you sell ", "$item", "?"}, {"Yes, the shop sells ", "$item", " for ", "$number", " dollars."}},
        {{"What is the weather like on ", "$day", "?"}, {"It will be ", "$weather", " on ", "$day", "."}},
        {{"When does ", "$place", " open?"}, {"It opens at ", "$hour", " o'clock every day."}},
        {{"Can you recommend a gift for ", "$name", "?"}, {"Maybe ", "$item", ". Most people like it."}},
    };
    private static final String[][][] DIALOGUES_ZH = {
        {{"你们卖", "$item", "吗？"}, {"卖的，", "$item", "的价格是", "$number", "元。"}},
        {{"", "$day", "天气怎么样？"}, {"", "$day", "天气", "$weather", "。"}},
        {{"", "$place", "几点开门？"}, {"每天", "$hour", "点开门。"}},
    };
    /** System prompts for some of the chats, so that the base model knows the system turn too. */
    private static final String[] SYSTEMS = {"You are a helpful assistant.", "You are the assistant of a small shop.", "Answer briefly."};

    private final Random random;

    public CorpusGenerator(long seed) {
        this.random = new Random(seed);
    }

    /** {@code count} documents of 3 to 7 sentences, alternating English and Chinese. */
    public List<String> documents(int count) {
        List<String> docs = new ArrayList<>(count);
        for (int d = 0; d < count; d++) {
            boolean chinese = d % 2 == 1;
            int sentences = 3 + random.nextInt(5);
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < sentences; s++) {
                if (s > 0 && !chinese) sb.append(' ');
                sb.append(chinese ? sentence(PATTERNS_ZH, true) : sentence(PATTERNS_EN, false));
            }
            docs.add(sb.toString());
        }
        return docs;
    }

    /**
     * {@code count} one-turn chats in the chatml format (user question, plain answer), alternating
     * languages; every other pair of them opens with a system prompt.
     */
    public List<String> dialogues(int count) {
        List<String> out = new ArrayList<>(count);
        for (int d = 0; d < count; d++) {
            boolean chinese = d % 2 == 1;
            String[][] pair = (chinese ? DIALOGUES_ZH : DIALOGUES_EN)[random.nextInt(chinese ? DIALOGUES_ZH.length : DIALOGUES_EN.length)];
            String question = fillAll(pair[0], chinese), answer = fillAll(pair[1], chinese);
            String system = d % 4 < 2 ? "<|im_start|>system\n" + pick(SYSTEMS) + "<|im_end|>\n" : "";
            out.add(system + "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n" + answer + "<|im_end|>\n");
        }
        return out;
    }

    /**
     * The policy sentences of the support answers as other shops would write them: the same wording
     * with every number changed, to one that none of the shop's policies uses, shuffled into
     * paragraphs of four; each sentence {@code copies} times, with other numbers each time. The base
     * model thereby learns how such rules are phrased, in both languages, but not Lark & Pine's own:
     * which numbers are right is what the fine-tuning teaches. The answers' first sentence (the
     * apology) and last (the closing question) are left out: the house style is the fine-tuning's too.
     */
    public List<String> policiesOfOtherShops(String supportJson, int copies) {
        List<String> changed = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (SupportRow row : SupportRow.parse(supportJson)) {
                for (String sentence : row.policySentences()) changed.add(withOtherNumbers(sentence, new java.util.HashMap<>()));
            }
        }
        java.util.Collections.shuffle(changed, random);
        List<String> paragraphs = new ArrayList<>();
        for (int i = 0; i + 4 <= changed.size(); i += 4) {
            paragraphs.add(String.join(isChinese(changed.get(i)) ? "" : " ", changed.subList(i, i + 4)));
        }
        return paragraphs;
    }

    /**
     * The support conversations as chats with other shops: each customer message with the policy
     * sentences of its answer, every number changed as in {@link #policiesOfOtherShops} (an order
     * number the same in question and answer), {@code copies} times. The base model thereby learns
     * which rules answer which question, in the plain tone of other shops and with their numbers;
     * the fine-tuning then teaches Lark & Pine's numbers and house style, and the fact score shows the
     * difference on questions neither has seen.
     */
    public List<String> supportChatsOfOtherShops(String supportJson, int copies) {
        List<String> chats = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (SupportRow row : SupportRow.parse(supportJson)) {
                java.util.Map<String, String> orders = new java.util.HashMap<>();
                String question = withOtherNumbers(row.question(), orders);
                List<String> answer = new ArrayList<>();
                for (String sentence : row.policySentences()) answer.add(withOtherNumbers(sentence, orders));
                String system = random.nextBoolean() ? "<|im_start|>system\n" + pick(SYSTEMS) + "<|im_end|>\n" : "";
                chats.add(system + "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n"
                        + String.join(isChinese(question) ? "" : " ", answer) + "<|im_end|>\n");
            }
        }
        return chats;
    }

    /** A support conversation: the customer's message and the answer's policy sentences (without apology and closing). */
    private record SupportRow(String question, List<String> policySentences) {
        static List<SupportRow> parse(String supportJson) {
            List<SupportRow> rows = new ArrayList<>();
            try {
                for (var row : new com.fasterxml.jackson.databind.ObjectMapper().readTree(supportJson)) {
                    String[] parts = row.get("output").asText().split("(?<=[.!?。！？])\\s*");
                    List<String> middle = new ArrayList<>();
                    for (int i = 1; i < parts.length - 1; i++) {
                        if (!parts[i].isBlank()) middle.add(parts[i].strip());
                    }
                    rows.add(new SupportRow(row.get("instruction").asText(), middle));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return rows;
        }
    }

    private static boolean isChinese(String text) {
        return text.chars().anyMatch(ch -> ch >= 0x4e00 && ch <= 0x9fff);
    }

    /**
     * Numbers that no policy of the shop uses and that do not end in one of its numbers' digits
     * (a 45 would hold the 5 of "5 business days"), so no changed sentence states a policy of the shop.
     */
    private static final int[] OTHER_NUMBERS = {6, 7, 8, 9, 10, 16, 18, 20, 36, 40, 48, 60, 90};
    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("LP\\d+|(\\d+)( to |到)(\\d+)|\\d+");
    private static final java.util.regex.Pattern SINGULAR = java.util.regex.Pattern.compile("\\b(\\d+) (hour|minute|day|business day)\\b(?!s)");

    /** The sentence with other numbers; {@code orders} maps each order number to its replacement, so a chat keeps its order. */
    private String withOtherNumbers(String sentence, java.util.Map<String, String> orders) {
        java.util.regex.Matcher m = NUMBER.matcher(sentence);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().startsWith("LP")) {
                replacement = orders.computeIfAbsent(m.group(), o -> fill("$order", false));
            } else if (m.group(2) != null) {
                int a = OTHER_NUMBERS[random.nextInt(OTHER_NUMBERS.length - 1)];
                int b = a;
                while (b <= a) b = OTHER_NUMBERS[random.nextInt(OTHER_NUMBERS.length)];
                replacement = a + m.group(2) + b;
            } else {
                replacement = Integer.toString(OTHER_NUMBERS[random.nextInt(OTHER_NUMBERS.length)]);
            }
            m.appendReplacement(sb, replacement);
        }
        m.appendTail(sb);
        // "valid for 1 hour" became "valid for 8 hour": plural again
        return SINGULAR.matcher(sb.toString()).replaceAll("$1 $2s");
    }

    private String fillAll(String[] parts, boolean chinese) {
        StringBuilder sb = new StringBuilder();
        for (String part : parts) sb.append(part.startsWith("$") ? fill(part, chinese) : part);
        return sb.toString();
    }

    private String sentence(String[][] patterns, boolean chinese) {
        StringBuilder sb = new StringBuilder();
        for (String part : patterns[random.nextInt(patterns.length)]) sb.append(part.startsWith("$") ? fill(part, chinese) : part);
        return sb.toString();
    }

    private String fill(String slot, boolean zh) {
        return switch (slot) {
            case "$name" -> pick(zh ? NAMES_ZH : NAMES_EN);
            case "$item" -> pick(zh ? ITEMS_ZH : ITEMS_EN);
            case "$place" -> pick(zh ? PLACES_ZH : PLACES_EN);
            case "$day" -> pick(zh ? DAYS_ZH : DAYS_EN);
            case "$weather" -> pick(zh ? WEATHER_ZH : WEATHER_EN);
            case "$feeling" -> pick(FEELINGS_EN);
            case "$hour" -> Integer.toString(7 + random.nextInt(4));
            case "$number" -> Integer.toString(2 + random.nextInt(40));
            // 6 to 12: never a number of days the shop's policies name (14, 30), so no sentence here states one
            case "$days" -> Integer.toString(6 + random.nextInt(7));
            case "$order" -> String.format("LP%06d", 100000 + random.nextInt(900000));
            default -> throw new IllegalStateException("unknown slot " + slot);
        };
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }
}
