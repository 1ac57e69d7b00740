import ImageExperiment

ImageCommand<DQIFPaper>.main()
