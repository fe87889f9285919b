package io.jtune.data.template.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} for the directives chat templates print dates with (Llama 3.x
 * writes "Today Date: 26 Jul 2024" with {@code %d %b %Y}); C-locale names. The glibc flag {@code -}
 * ({@code %-d}) drops the zero padding.
 */
final class Strftime {
    private Strftime() {}

    static String format(LocalDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            boolean unpadded = format.charAt(i + 1) == '-' && i + 2 < format.length();
            char d = format.charAt(unpadded ? i + 2 : i + 1);
            i += unpadded ? 2 : 1;
            String value = switch (d) {
                case 'Y' -> Integer.toString(t.getYear());
                case 'y' -> two(t.getYear() % 100);
                case 'm' -> two(t.getMonthValue());
                case 'd' -> two(t.getDayOfMonth());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'H' -> two(t.getHour());
                case 'I' -> two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
                case 'M' -> two(t.getMinute());
                case 'S' -> two(t.getSecond());
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case '%' -> "%";
                default -> throw Values.error("strftime_now(): the directive '%" + d + "' is not supported by jtune");
            };
            out.append(unpadded ? stripZeros(value) : value);
        }
        return out.toString();
    }

    private static String two(int n) {
        return String.format("%02d", n);
    }

    private static String stripZeros(String v) {
        String s = v.strip();
        int i = 0;
        while (i < s.length() - 1 && s.charAt(i) == '0') i++;
        return s.substring(i);
    }
}
