"""Walkthrough of the autograd tutorial ("Chapter 4: Autograd & Gradients"), run with rustgrad.

Every ```python block of the tutorial is one function below, its code kept as the tutorial writes it
with ``torch`` replaced by ``rustgrad`` and the matplotlib import removed (nothing is plotted). Each
function repeats its block's own imports so that it reads, and runs, as the standalone script it is in
the tutorial; it shares no variables with the others.

Run ``python examples/autograd_tutorial.py``: for each section it prints ``## <title>``, what the block
prints, and a blank line. ``tests/test_tutorial.py`` checks that against what PyTorch prints.
"""


def enabling_gradient_tracking():
    import rustgrad

    # Create tensors with gradient tracking
    x = rustgrad.tensor([2.0, 3.0], requires_grad=True)
    print(f"x: {x}")
    print(f"Requires grad: {x.requires_grad}")
    print(f"Is leaf: {x.is_leaf}")
    print(f"Gradient: {x.grad}")  # None initially

    # Create tensor without gradient tracking (default)
    y = rustgrad.tensor([1.0, 2.0])
    print(f"\ny requires grad: {y.requires_grad}")

    # Enable gradient tracking on existing tensor
    y.requires_grad_(True)
    print(f"y requires grad now: {y.requires_grad}")


def basic_example():
    import rustgrad

    # Create tensor with gradient tracking
    x = rustgrad.tensor([3.0], requires_grad=True)
    print(f"x = {x}")

    # Perform operations
    y = x ** 2  # y = x²
    print(f"y = x² = {y}")

    # Compute gradient dy/dx
    y.backward()  # Computes gradients

    # Access gradient
    print(f"dy/dx = {x.grad}")  # Should be 2x = 2*3 = 6


def multi_step_computation():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)
    a = rustgrad.tensor([3.0], requires_grad=True)

    # Forward pass
    y = x ** 2  # y = x²
    z = a * y   # z = a * y = a * x²
    w = z + 5   # w = a * x² + 5

    print(f"x = {x}, a = {a}")
    print(f"y = x² = {y}")
    print(f"z = a*y = {z}")
    print(f"w = z+5 = {w}")

    # Backward pass
    w.backward()

    # Check gradients
    print(f"\ndw/dx = {x.grad}")  # 2*a*x = 2*3*2 = 12
    print(f"dw/da = {a.grad}")    # x² = 4


def vector_gradients():
    import rustgrad

    # Vector input
    x = rustgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)

    # Scalar output
    y = (x ** 2).sum()  # y = x₁² + x₂² + x₃²
    print(f"y = {y}")

    y.backward()
    print(f"dy/dx = {x.grad}")  # [2x₁, 2x₂, 2x₃] = [2, 4, 6]


def non_scalar_backward_pass():
    import rustgrad

    x = rustgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)

    # Vector output
    y = x ** 2  # [1, 4, 9]

    # Need to provide gradient for non-scalar
    gradient = rustgrad.tensor([1.0, 1.0, 1.0])
    y.backward(gradient)

    print(f"Gradient: {x.grad}")  # [2, 4, 6]


def gradient_accumulation():
    import rustgrad

    x = rustgrad.tensor([3.0], requires_grad=True)

    # First backward pass
    y1 = x ** 2
    y1.backward()
    print(f"After first backward: x.grad = {x.grad}")

    # Second backward pass (gradients accumulate!)
    y2 = x ** 3
    y2.backward()
    print(f"After second backward: x.grad = {x.grad}")

    # Zero gradients
    x.grad.zero_()
    print(f"After zeroing: x.grad = {x.grad}")

    # Third backward pass
    y3 = x ** 2
    y3.backward()
    print(f"After third backward: x.grad = {x.grad}")


def no_gradient_context():
    import rustgrad

    x = rustgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)

    # Normal operation - gradients tracked
    y = x ** 2
    print(f"y requires_grad: {y.requires_grad}")

    # Disable gradient tracking temporarily
    with rustgrad.no_grad():
        z = x ** 2
        print(f"z requires_grad: {z.requires_grad}")

    # Gradients tracked again
    w = x ** 2
    print(f"w requires_grad: {w.requires_grad}")


def detach():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)

    # Create computation graph
    y = x ** 2
    z = y ** 3

    # Detach y from graph
    y_detached = y.detach()
    print(f"y requires_grad: {y.requires_grad}")
    print(f"y_detached requires_grad: {y_detached.requires_grad}")

    # Backward through z
    w = y_detached * 2
    # w.backward()  # Error! y_detached has no gradient


def set_gradient_enabled():
    import rustgrad

    # Enable/disable globally
    rustgrad.set_grad_enabled(False)
    x = rustgrad.tensor([1.0], requires_grad=True)
    y = x ** 2
    print(f"Grad enabled False - y.requires_grad: {y.requires_grad}")

    rustgrad.set_grad_enabled(True)
    z = x ** 2
    print(f"Grad enabled True - z.requires_grad: {z.requires_grad}")


def understanding_the_graph():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)
    w = rustgrad.tensor([3.0], requires_grad=True)
    b = rustgrad.tensor([1.0], requires_grad=True)

    # Build graph
    y = w * x + b  # Linear function
    z = y ** 2      # Square

    print(f"y: {y}")
    print(f"z: {z}")

    # Check graph
    print(f"\nz.grad_fn: {z.grad_fn}")  # PowBackward
    print(f"y.grad_fn: {y.grad_fn}")    # AddBackward
    print(f"x.grad_fn: {x.grad_fn}")    # None (leaf node)


def leaf_nodes_vs_non_leaf_nodes():
    import rustgrad

    x = rustgrad.tensor([1.0], requires_grad=True)  # Leaf
    y = x * 2                                     # Non-leaf
    z = y + 3                                     # Non-leaf

    print(f"x is_leaf: {x.is_leaf}")  # True
    print(f"y is_leaf: {y.is_leaf}")  # False
    print(f"z is_leaf: {z.is_leaf}")  # False

    # Only leaf nodes retain gradients by default
    z.backward()
    print(f"\nx.grad: {x.grad}")      # Available
    print(f"y.grad: {y.grad}")        # None (non-leaf)
    print(f"z.grad: {z.grad}")        # None (non-leaf)


def retaining_gradients_for_non_leaf_nodes():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)
    y = x ** 2
    y.retain_grad()  # Keep gradient for non-leaf node

    z = y ** 3
    z.backward()

    print(f"x.grad: {x.grad}")  # Leaf - always available
    print(f"y.grad: {y.grad}")  # Non-leaf - available due to retain_grad()


def simple_linear_regression():
    import rustgrad

    # Generate synthetic data: y = 2x + 1
    rustgrad.manual_seed(42)
    x_data = rustgrad.randn(100, 1)
    y_true = 2 * x_data + 1 + rustgrad.randn(100, 1) * 0.1

    # Initialize parameters
    w = rustgrad.randn(1, requires_grad=True)
    b = rustgrad.randn(1, requires_grad=True)

    # Training loop
    learning_rate = 0.01
    epochs = 100
    losses = []

    for epoch in range(epochs):
        # Forward pass
        y_pred = w * x_data + b

        # Compute loss (Mean Squared Error)
        loss = ((y_pred - y_true) ** 2).mean()
        losses.append(loss.item())

        # Backward pass
        loss.backward()

        # Update parameters
        with rustgrad.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad

        # Zero gradients
        w.grad.zero_()
        b.grad.zero_()

        if (epoch + 1) % 20 == 0:
            print(f"Epoch {epoch+1}, Loss: {loss.item():.4f}, w: {w.item():.4f}, b: {b.item():.4f}")

    print(f"\nFinal: w = {w.item():.4f}, b = {b.item():.4f}")
    print(f"True: w = 2.0000, b = 1.0000")


def visualizing_gradient_descent():
    import rustgrad
    import numpy as np

    # Function: f(x) = x²
    x_range = np.linspace(-5, 5, 100)
    y_range = x_range ** 2

    # Gradient descent
    x = rustgrad.tensor([-4.0], requires_grad=True)
    learning_rate = 0.1
    steps = 20

    x_history = [x.item()]

    for step in range(steps):
        y = x ** 2
        y.backward()

        with rustgrad.no_grad():
            x -= learning_rate * x.grad
        x.grad.zero_()

        x_history.append(x.item())

    print(f"Start: x = -4.0")
    print(f"End: x = {x.item():.4f}")
    print(f"Optimum: x = 0.0")


def second_derivatives():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)

    # First derivative
    y = x ** 3
    y.backward(create_graph=True)  # Keep graph for second derivative

    first_grad = x.grad.clone()
    print(f"First derivative (3x²): {first_grad.item()}")

    # Second derivative
    x.grad.zero_()
    first_grad.backward()
    second_grad = x.grad
    print(f"Second derivative (6x): {second_grad.item()}")


def pitfall_1_in_place_operations():
    import rustgrad

    x = rustgrad.tensor([1.0], requires_grad=True)

    # Bad: In-place operation
    # x += 1  # Error during backward!

    # Good: Create new tensor
    x = x + 1

    y = x ** 2
    y.backward()
    print(f"Gradient: {x.grad}")


def pitfall_2_forgetting_to_zero_gradients():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)

    # Iteration 1
    y = x ** 2
    y.backward()
    print(f"Iteration 1: {x.grad}")

    # Iteration 2 (forgot to zero!)
    y = x ** 2
    y.backward()
    print(f"Iteration 2 (accumulated): {x.grad}")

    # Correct way
    x.grad.zero_()
    y = x ** 2
    y.backward()
    print(f"Iteration 3 (zeroed): {x.grad}")


def pitfall_3_multiple_backward_passes():
    import rustgrad

    x = rustgrad.tensor([2.0], requires_grad=True)
    y = x ** 2

    # First backward
    y.backward(retain_graph=True)
    print(f"First backward: {x.grad}")

    # Second backward (need retain_graph=True)
    x.grad.zero_()
    y.backward()
    print(f"Second backward: {x.grad}")


def custom_autograd_function():
    import rustgrad
    from rustgrad.autograd import Function

    class MySquare(Function):
        @staticmethod
        def forward(ctx, input):
            # Save input for backward
            ctx.save_for_backward(input)
            return input ** 2

        @staticmethod
        def backward(ctx, grad_output):
            # Retrieve saved input
            input, = ctx.saved_tensors
            # Gradient: d(x²)/dx = 2x
            return grad_output * 2 * input

    # Use custom function
    x = rustgrad.tensor([3.0], requires_grad=True)
    square = MySquare.apply

    y = square(x)
    y.backward()

    print(f"x: {x}")
    print(f"y: {y}")
    print(f"dy/dx: {x.grad}")  # 2*3 = 6


def exercise_1_basic_gradients():
    import rustgrad

    # Compute gradient of f(x, y) = x²y + y³ at x=2, y=3
    x = rustgrad.tensor([2.0], requires_grad=True)
    y = rustgrad.tensor([3.0], requires_grad=True)

    f = x**2 * y + y**3
    f.backward()

    print(f"∂f/∂x = {x.grad.item()}")  # 2xy = 2*2*3 = 12
    print(f"∂f/∂y = {y.grad.item()}")  # x² + 3y² = 4 + 27 = 31


def exercise_2_training_loop_pattern():
    import rustgrad

    # Model parameters
    w = rustgrad.randn(1, requires_grad=True)

    # Training loop structure
    for epoch in range(10):
        # 1. Forward pass
        output = w * 2
        loss = output ** 2

        # 2. Backward pass
        loss.backward()

        # 3. Update parameters
        with rustgrad.no_grad():
            w -= 0.01 * w.grad

        # 4. Zero gradients
        w.grad.zero_()


def optimization_tips():
    import rustgrad

    # The tutorial's block is a fragment that never defines model, input_data or loss:
    # a small model, a batch and a loss make each tip runnable.
    model = rustgrad.nn.Linear(3, 1)
    input_data = rustgrad.randn(4, 3)
    loss = (model(input_data) ** 2).mean()

    # 1. Use rustgrad.no_grad() for inference
    model_output = None
    with rustgrad.no_grad():
        model_output = model(input_data)

    # 2. Detach when you don't need gradients
    loss_value = loss.detach().item()

    # 3. Use gradient checkpointing for memory
    from rustgrad.utils.checkpoint import checkpoint
    output = checkpoint(model, input_data, use_reentrant=False)  # forward recomputed during backward
    loss = (output ** 2).mean()
    loss.backward()

    # 4. Gradient clipping
    rustgrad.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)


# Titles are the tutorial's "###" headings (or "##" where a section has no sub-heading).
SECTIONS = [
    ("Enabling Gradient Tracking", enabling_gradient_tracking),
    ("Basic Example", basic_example),
    ("Multi-Step Computation", multi_step_computation),
    ("Vector Gradients", vector_gradients),
    ("Non-Scalar Backward Pass", non_scalar_backward_pass),
    ("Gradient Accumulation", gradient_accumulation),
    ("No Gradient Context", no_gradient_context),
    ("Detach", detach),
    ("Set Gradient Enabled", set_gradient_enabled),
    ("Understanding the Graph", understanding_the_graph),
    ("Leaf Nodes vs Non-Leaf Nodes", leaf_nodes_vs_non_leaf_nodes),
    ("Retaining Gradients for Non-Leaf Nodes", retaining_gradients_for_non_leaf_nodes),
    ("Simple Linear Regression", simple_linear_regression),
    ("Visualizing Gradient Descent", visualizing_gradient_descent),
    ("Second Derivatives", second_derivatives),
    ("Pitfall 1: In-place Operations", pitfall_1_in_place_operations),
    ("Pitfall 2: Forgetting to Zero Gradients", pitfall_2_forgetting_to_zero_gradients),
    ("Pitfall 3: Multiple Backward Passes", pitfall_3_multiple_backward_passes),
    ("Custom Autograd Function", custom_autograd_function),
    ("Exercise 1: Basic Gradients", exercise_1_basic_gradients),
    ("Exercise 2: Training Loop Pattern", exercise_2_training_loop_pattern),
    ("Optimization Tips", optimization_tips),
]


def main():
    for title, section in SECTIONS:
        print(f"## {title}")
        section()
        print()


if __name__ == "__main__":
    main()
