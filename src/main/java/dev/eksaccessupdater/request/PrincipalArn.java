package dev.eksaccessupdater.request;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An IAM user or role ARN reduced to what identifies the principal: partition, account, kind and name.
 * IAM names are unique regardless of case and of path, so {@code role/Admin} and {@code role/ops/admin}
 * are the same role for a protection check.
 */
public record PrincipalArn(String partition, String accountId, String kind, String nameLowerCase) {

    /** docs/contract.md section 2: {@code arn:<partition>:iam::<12 digits>:(user|role)/<path and name>}. */
    public static final Pattern PATTERN = Pattern.compile(
            "arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):(user|role)/((?:[\\x21-\\x7E&&[^/]]+/)*)([A-Za-z0-9+=,.@_-]{1,64})");

    /** Returns the principal, or {@code null} when {@code arn} is not an IAM user or role ARN. */
    public static PrincipalArn parse(String arn) {
        Matcher matcher = PATTERN.matcher(arn);
        if (!matcher.matches()) {
            return null;
        }
        return new PrincipalArn(matcher.group(1), matcher.group(2), matcher.group(3),
                matcher.group(5).toLowerCase(Locale.ROOT));
    }
}
