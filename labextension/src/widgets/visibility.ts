/**
 * Follow whether a Lumino widget is on screen, so the models it shows poll only then.
 */
import { Message, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

/**
 * Call `onChange(visible)` whenever `widget` is shown, hidden, attached or detached. A message
 * hook runs before the widget handles the message, so visibility is worked out from the message.
 */
export function followVisibility(widget: Widget, onChange: (visible: boolean) => void): void {
  MessageLoop.installMessageHook(widget, (_: unknown, msg: Message) => {
    switch (msg.type) {
      case 'after-show':
        onChange(true);
        break;
      case 'after-attach':
        onChange(!widget.isHidden && (!widget.parent || widget.parent.isVisible));
        break;
      case 'after-hide':
      case 'before-detach':
        onChange(false);
        break;
    }
    return true;
  });
}
