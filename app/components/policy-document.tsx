import type { Block, Inline } from "~/attestation/policy-text";

function Inlines({ inlines }: { inlines: Inline[] }) {
  return (
    <>
      {inlines.map((inline, i) =>
        inline.strong ? (
          <strong key={i}>{inline.text}</strong>
        ) : inline.em ? (
          <em key={i}>{inline.text}</em>
        ) : (
          <span key={i}>{inline.text}</span>
        ),
      )}
    </>
  );
}

/** A policy version's exact text as readable HTML: headings, paragraphs and lists. */
export function PolicyDocument({ blocks, headingOffset = 0 }: { blocks: Block[]; headingOffset?: number }) {
  return (
    <div className="app-policy">
      {blocks.map((block, i) => {
        if (block.type === "heading") {
          const level = Math.min(6, block.level + headingOffset);
          const Tag = `h${level}` as "h2";
          return (
            <Tag key={i} id={block.id} className={level <= 2 ? "govuk-heading-m" : "govuk-heading-s"}>
              <Inlines inlines={block.inlines} />
            </Tag>
          );
        }
        if (block.type === "list") {
          const List = block.ordered ? "ol" : "ul";
          return (
            <List key={i} className={`govuk-list ${block.ordered ? "govuk-list--number" : "govuk-list--bullet"}`}>
              {block.items.map((item, j) => (
                <li key={j}>
                  <Inlines inlines={item.inlines} />
                  {item.children.length > 0 ? (
                    <ul className="govuk-list govuk-list--bullet">
                      {item.children.map((child, k) => (
                        <li key={k}>
                          <Inlines inlines={child} />
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </List>
          );
        }
        return (
          <p key={i} className="govuk-body">
            <Inlines inlines={block.inlines} />
          </p>
        );
      })}
    </div>
  );
}
